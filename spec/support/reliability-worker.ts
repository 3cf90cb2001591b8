/**
 * A separate process running workflows on a shared store, for the reliability specs. Its one
 * argument is a `WorkerTask` as JSON (see reliability-processes.ts); it reports on stdout, one
 * JSON `WorkerMessage` per line.
 */
import { defineWorkflow, run } from "buddy-ai";
import type { WorkerMessage, WorkerTask } from "./reliability-processes.js";
import { openStoreConnection } from "./stores.js";

const task = JSON.parse(process.argv[2] ?? "{}") as WorkerTask;
if (task.clockSkewMs !== undefined) {
  const realNow = Date.now;
  const skew = task.clockSkewMs;
  Date.now = () => realNow() + skew;
}

function report(message: WorkerMessage): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** Appends the run id it is given to the session's `ids` (a child run sharing the state). */
const note = defineWorkflow({
  name: "note",
  run: async (ctx, runId: string) => {
    const ids = Array.isArray(ctx.sessionState.ids) ? ctx.sessionState.ids : [];
    ctx.sessionState.ids = [...ids, runId];
    return runId;
  },
});

/** Reads the counter, lets other work happen, writes it back plus one, and notes its run id. */
const counter = defineWorkflow({
  name: "counter",
  run: async (ctx) => {
    const count = Number(ctx.sessionState.count ?? 0);
    await new Promise((resolve) => setImmediate(resolve));
    ctx.sessionState.count = count + 1;
    await ctx.run(note, ctx.runId);
    return `count ${count + 1}`;
  },
});

/** Resolves when a `hold` run may finish: never, unless the task is `stall`. */
let release: Promise<unknown> = new Promise(() => {});

/** Changes the state, says so, and finishes once `release` resolves. */
const hold = defineWorkflow({
  name: "hold",
  run: async (ctx) => {
    ctx.sessionState.count = 999;
    ctx.sessionState.partial = true;
    report({ type: "holding", sessionId: ctx.sessionId, runId: ctx.runId });
    await release;
    return "held";
  },
});

function failure(sessionId: string, error: unknown): WorkerMessage {
  const { name, message } = error instanceof Error ? error : new Error(String(error));
  return { type: "failed", sessionId, name, message };
}

/** A small seeded generator (mulberry32), so a failing spread of sessions can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const storage = openStoreConnection(task.connection, {
  leaseMs: task.leaseMs,
  busyTimeoutMs: task.busyTimeoutMs ?? 60_000,
});
const quiet = { warn: () => {}, debug: () => {} };

if (task.mode === "count") {
  await storage.listSessions({ limit: 1 }); // connect and migrate before the start line
  report({ type: "ready" });
  await new Promise((resolve) => process.stdin.once("data", resolve));
  process.stdin.destroy();
  const random = seeded(task.seed);
  const picks = Array.from(
    { length: task.runs },
    () => task.sessions[Math.floor(random() * task.sessions.length)] ?? "",
  );
  let failures = 0;
  const lane = async () => {
    for (let sessionId = picks.shift(); sessionId !== undefined; sessionId = picks.shift()) {
      try {
        const response = await run(counter, undefined, { storage, sessionId, logger: quiet });
        report({ type: "completed", sessionId, runId: response.runId });
      } catch (error) {
        failures++;
        report(failure(sessionId, error));
      }
    }
  };
  await Promise.all(Array.from({ length: task.concurrency }, lane));
  await storage.close();
  process.exitCode = failures === 0 ? 0 : 1;
} else if (task.mode === "loop") {
  await storage.listSessions({ limit: 1 }); // connected: its first run starts right away
  report({ type: "ready" });
  for (;;) {
    const response = await run(counter, undefined, { storage, sessionId: task.sessionId });
    report({ type: "completed", sessionId: task.sessionId, runId: response.runId });
  }
} else if (task.mode === "stall") {
  const { sessionId } = task;
  release = new Promise((resolve) => process.stdin.once("data", resolve));
  try {
    const response = await run(hold, undefined, { storage, sessionId, logger: quiet });
    report({ type: "completed", sessionId, runId: response.runId });
  } catch (error) {
    report(failure(sessionId, error));
  }
  process.stdin.destroy();
  await storage.close();
} else {
  setInterval(() => {}, 60_000); // stay alive until killed
  await run(hold, undefined, { storage, sessionId: task.sessionId });
}
