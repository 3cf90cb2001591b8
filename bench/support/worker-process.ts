/**
 * A bench worker: a child process running a bench script (TypeScript, through tsx, importing
 * the built package as the parent does) that takes one command per stdin line and answers with
 * lines on stdout.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { join } from "node:path";
import { type Figure, figure, type RoundOptions, roundTimes } from "./measure.js";

const root = join(import.meta.dirname, "..", "..");

export interface Worker {
  readonly child: ChildProcessWithoutNullStreams;
  /** Writes `command` (if any) and resolves at the worker's next line `reply`. */
  send(command: string | undefined, reply: string): Promise<void>;
  /** Ends the worker's input and resolves once it exited. */
  stop(): Promise<void>;
}

/** Starts `bench/<script>` with `task` (JSON) as its argument. */
export function startWorker(script: string, task: unknown): Worker {
  const child = spawn(
    process.execPath,
    ["--expose-gc", "--import", "tsx", join(root, "bench", script), JSON.stringify(task)],
    { cwd: root, env: { ...process.env, TSX_TSCONFIG_PATH: join(root, "tsconfig.bench.json") } },
  );
  const waiting: { text: string; resolve: () => void }[] = [];
  let log = "";
  let pending = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    log += chunk;
  });
  child.stdout.on("data", (chunk: string) => {
    const lines = (pending + chunk).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      const at = waiting.findIndex((w) => w.text === line);
      if (at >= 0) waiting.splice(at, 1)[0]?.resolve();
    }
  });
  const exited = new Promise<void>((resolve) => {
    child.once("exit", (code) => {
      if (code !== 0) console.error(`bench worker ${script} exited with ${code}:\n${log}`);
      resolve();
    });
  });
  return {
    child,
    send: (command, text) => {
      const reply = new Promise<void>((resolve) => waiting.push({ text, resolve }));
      if (command !== undefined) child.stdin.write(`${command}\n`);
      return reply;
    },
    stop: () => {
      child.stdin.end("exit\n");
      return exited;
    },
  };
}

/**
 * Interleaved rounds (see `interleave`) of sides that each run in a worker process, over
 * `generations` sets of fresh processes: `start` starts one set (one worker per side, each
 * printing `ready` once warm, answering `round` with `done`), which runs `rounds` rounds and
 * stops. How a process's code was optimized and its heap laid out varies from one process to
 * the next by several percent; fresh processes keep that luck out of the ratio.
 */
export async function workerRounds(
  start: () => readonly Worker[],
  { generations, ...options }: RoundOptions & { readonly generations: number },
): Promise<Figure[]> {
  const times: number[][] = [];
  for (let g = 0; g < generations; g++) {
    const workers = start();
    await Promise.all(workers.map((w) => w.send(undefined, "ready")));
    const sides = workers.map((w) => ({ step: () => w.send("round", "done") }));
    const measured = await roundTimes(sides, options);
    await Promise.all(workers.map((w) => w.stop()));
    measured.forEach((values, k) => {
      times[k] = [...(times[k] ?? []), ...values];
    });
  }
  return times.map(figure);
}
