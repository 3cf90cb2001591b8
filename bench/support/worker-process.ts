/**
 * A bench worker: a child process running a bench script (TypeScript, through tsx, importing
 * the built package as the parent does) that takes one command per stdin line and answers with
 * lines on stdout.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { join } from "node:path";
import { type Figure, figure, type RoundOptions } from "./measure.js";

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

/** Each side's figure over its rounds, and the figure of ratios of two sides' generations. */
export interface GenerationFigures {
  /** µs (× `scale`) per run, a figure per side over all its rounds. */
  readonly sides: Figure[];
  /**
   * Side 0 / side 1, generation by generation (the median of one's rounds over the median of
   * the other's, measured one right after the other).
   */
  readonly ratio: Figure;
}

/**
 * Rounds of sides that each run in a worker process of their own, one process alive at a time:
 * over `generations`, each side in turn (the order alternating from one generation to the
 * next) starts a fresh worker with `start(side)` (it prints `ready` once warm and answers
 * `round` with `done`), runs a warm-up round and `rounds` timed rounds, and stops it. A GC
 * of one side's process never runs beside the other's rounds, and how a process's code was
 * optimized and its heap laid out (which varies from one process to the next by several
 * percent) is averaged over fresh processes. The ratio of the first two sides is taken per
 * generation, whose processes ran one right after the other: a spell of this machine running
 * slow for a while (seconds at a time, on a shared virtual machine) then moves a generation's
 * ratio, not the median of them all, as it moves the median of one side's rounds when it
 * happens to fall on that side's processes.
 */
export async function workerRounds(
  sides: number,
  start: (side: number) => Worker,
  options: RoundOptions & { readonly generations: number },
): Promise<GenerationFigures> {
  const { generations, rounds, runs, scale = 1 } = options;
  const times: number[][] = Array.from({ length: sides }, () => []);
  const ratios: number[] = [];
  for (let g = 0; g < generations; g++) {
    const order = Array.from({ length: sides }, (_, k) => (g % 2 === 0 ? k : sides - 1 - k));
    const generation: number[][] = Array.from({ length: sides }, () => []);
    for (const k of order) {
      const worker = start(k);
      await worker.send(undefined, "ready");
      for (let round = -1; round < rounds; round++) {
        const begin = performance.now();
        await worker.send("round", "done");
        const us = ((performance.now() - begin) * 1000) / runs;
        if (round >= 0) generation[k]?.push(us * scale);
      }
      await worker.stop();
    }
    for (const [k, values] of generation.entries()) times[k]?.push(...values);
    const [first, second] = generation.map((values) => figure(values).median);
    if (first !== undefined && second !== undefined) ratios.push(first / second);
  }
  return { sides: times.map(figure), ratio: figure(ratios) };
}
