import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { join } from "node:path";
import type { StoreConnection } from "./stores.js";

const root = join(import.meta.dirname, "..", "..");
const workerFile = join(root, "spec", "support", "reliability-worker.ts");

/** What a reliability worker does; passed to it as JSON on its command line. */
export type WorkerTask = WorkerMode & {
  /** Shifts this process's wall clock (`Date.now`) by this much: a machine whose clock is off. */
  readonly clockSkewMs?: number;
  /** The store's `busyTimeoutMs` (default 60 s). */
  readonly busyTimeoutMs?: number;
};

/** The modes of {@link WorkerTask}. */
export type WorkerMode =
  /**
   * Prints `ready`, waits for a line on stdin, then runs the counter workflow `runs` times,
   * `concurrency` at a time, each on a session drawn from `sessions` (seeded by `seed`).
   */
  | {
      readonly mode: "count";
      readonly connection: StoreConnection;
      readonly leaseMs: number;
      readonly seed: number;
      readonly runs: number;
      readonly concurrency: number;
      readonly sessions: readonly string[];
    }
  /** Prints `ready`, then runs the counter workflow on `sessionId` back to back until killed. */
  | {
      readonly mode: "loop";
      readonly connection: StoreConnection;
      readonly leaseMs: number;
      readonly sessionId: string;
    }
  /** Starts a run on `sessionId` that changes state, prints `holding`, then hangs until killed. */
  | {
      readonly mode: "hold";
      readonly connection: StoreConnection;
      readonly leaseMs: number;
      readonly sessionId: string;
    }
  /**
   * Like `hold`, but finishes the run (saving its changes) once it reads a line on stdin, then
   * reports `completed` or `failed`.
   */
  | {
      readonly mode: "stall";
      readonly connection: StoreConnection;
      readonly leaseMs: number;
      readonly sessionId: string;
    };

/** One line a worker prints on stdout (JSON). */
export type WorkerMessage =
  | { readonly type: "ready" }
  | { readonly type: "completed"; readonly sessionId: string; readonly runId: string }
  | { readonly type: "holding"; readonly sessionId: string; readonly runId: string }
  | {
      readonly type: "failed";
      readonly sessionId: string;
      readonly name: string;
      readonly message: string;
    };

/** A running worker process and what it has printed so far. */
export interface Worker {
  readonly child: ChildProcessWithoutNullStreams;
  /** Every message it printed, in order. */
  readonly messages: readonly WorkerMessage[];
  /** Everything it wrote to stdout and stderr, for failure messages. */
  log(): string;
  /** The first message matching `test`; rejects when the worker exits first or after `timeoutMs`. */
  waitFor(test: (message: WorkerMessage) => boolean, timeoutMs?: number): Promise<WorkerMessage>;
  /** Writes one line to its stdin and closes it (the `go` of `count`, the finish of `stall`). */
  go(): void;
  /** How it ended. */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL, then waits until it is gone. */
  kill(): Promise<void>;
}

/** Starts `spec/support/reliability-worker.ts` with `task` as its own Node process (through tsx). */
export function startWorker(task: WorkerTask): Worker {
  const child = spawn(process.execPath, ["--import", "tsx", workerFile, JSON.stringify(task)], {
    cwd: root,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const messages: WorkerMessage[] = [];
  const listeners = new Set<() => void>();
  let log = "";
  let pending = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    log += chunk;
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (line.startsWith("{")) messages.push(JSON.parse(line) as WorkerMessage);
    }
    for (const listener of listeners) listener();
  });
  child.stderr.on("data", (chunk: string) => {
    log += chunk;
  });
  child.stdin.on("error", () => {}); // A worker killed before it read its stdin.
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      for (const listener of listeners) listener();
      resolve({ code, signal });
    });
  });
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    messages,
    log: () => log,
    waitFor(test, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const done = () => {
          listeners.delete(check);
          clearTimeout(timer);
        };
        const check = () => {
          const found = messages.find(test);
          if (found !== undefined) {
            done();
            resolve(found);
          } else if (gone()) {
            done();
            reject(new Error(`worker exited before the expected message:\n${log}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(`worker did not print the expected message in ${timeoutMs} ms:\n${log}`),
          );
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    go() {
      child.stdin.end("go\n");
    },
    exit,
    async kill() {
      if (!gone()) child.kill("SIGKILL");
      await exit;
    },
  };
}

/** The workers a spec started; `killAll` (in `afterEach`) leaves none behind. */
export class Workers {
  readonly #started: Worker[] = [];

  start(task: WorkerTask): Worker {
    const worker = startWorker(task);
    this.#started.push(worker);
    return worker;
  }

  async killAll(): Promise<void> {
    await Promise.all(this.#started.splice(0).map((worker) => worker.kill()));
  }
}
