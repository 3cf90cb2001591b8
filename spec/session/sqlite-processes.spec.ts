import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineWorkflow, run } from "buddy-ai";
import { sqliteStorage } from "buddy-ai/sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const worker = join(root, "spec", "support", "sqlite-session-worker.ts");

/** Starts the worker as its own Node process (tsx resolves `buddy-ai` to lib/). */
function startWorker(args: string[]): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", worker, ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on("data", (chunk) => {
    output += String(chunk);
  });
  return Object.assign(child, { output: () => output });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

function printed(child: ChildProcess & { output: () => string }, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (child.output().includes(text)) resolve();
    };
    child.stdout?.on("data", check);
    child.once("exit", () => reject(new Error(`worker exited first:\n${child.output()}`)));
    check();
  });
}

const counter = defineWorkflow({
  name: "counter",
  run: async (ctx) => {
    ctx.sessionState.count = Number(ctx.sessionState.count ?? 0) + 1;
    return `count ${ctx.sessionState.count}`;
  },
});

describe("sqlite sessions shared by processes", () => {
  let dir: string;
  let dbFile: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "buddy-procs-"));
    dbFile = join(dir, "db", "buddy.db");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("4 processes × 50 runs on one session count to exactly 200, with 200 run rows", async () => {
    // All four start their runs at the same moment, once every process is up.
    const startAt = String(Date.now() + 3_000);
    const workers = [1, 2, 3, 4].map(() =>
      startWorker(["count", dbFile, "shared", "50", "15000", startAt]),
    );
    const results = await Promise.all(workers.map(exited));
    for (const [i, result] of results.entries()) {
      expect(result, workers[i]?.output()).toEqual({ code: 0, signal: null });
    }
    const storage = sqliteStorage({ dbFile });
    try {
      expect((await storage.readSession("shared"))?.sessionState).toEqual({ count: 200 });
      const runs = await storage.listRuns("shared");
      expect(runs).toHaveLength(200);
      expect(runs.every((r) => r.status === "completed")).toBe(true);
      expect(runs.map((r) => r.content)).toEqual(
        Array.from({ length: 200 }, (_, i) => `count ${i + 1}`),
      );
    } finally {
      await storage.close();
    }
  }, 120_000);

  it("a process killed mid-run frees the session once its lease expires, with no partial state", async () => {
    const storage = sqliteStorage({ dbFile, busyTimeoutMs: 20_000 });
    try {
      await run(counter, undefined, { storage, sessionId: "killed" });
      const hung = startWorker(["hang", dbFile, "killed", "1000"]);
      await printed(hung, "holding");
      hung.kill("SIGKILL");
      expect(await exited(hung)).toEqual({ code: null, signal: "SIGKILL" });
      const next = await run(counter, undefined, { storage, sessionId: "killed" });
      expect(next.content).toBe("count 2");
      expect((await storage.readSession("killed"))?.sessionState).toEqual({ count: 2 });
      const runs = await storage.listRuns("killed");
      expect(runs.map((r) => [r.workflowId, r.status])).toEqual([
        ["counter", "completed"],
        ["hang", "error"],
        ["counter", "completed"],
      ]);
      expect(runs[1]?.error).toMatch(/^abandoned/);
    } finally {
      await storage.close();
    }
  }, 60_000);
});
