import { defineWorkflow, type RunResponse, run, type WorkflowStorage } from "buddy-ai";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Workers } from "../support/reliability-processes.js";
import { type StoreConnection, type StoreHandle, storeFactories } from "../support/stores.js";

/** Short, so a dead worker's session frees up quickly; renewed every third of it while alive. */
const leaseMs = 1_000;

/** The counter of the worker processes, run here to take the session over after a crash. */
const counter = defineWorkflow({
  name: "counter",
  run: async (ctx) => {
    const count = Number(ctx.sessionState.count ?? 0) + 1;
    const ids = Array.isArray(ctx.sessionState.ids) ? ctx.sessionState.ids : [];
    ctx.sessionState.count = count;
    ctx.sessionState.ids = [...ids, ctx.runId];
    return `count ${count}`;
  },
});

const topLevel = (runs: RunResponse[]) => runs.filter((r) => r.parentRunId === undefined);

describe.each(storeFactories.filter((factory) => factory.sharedAcrossProcesses))(
  "worker processes killed or frozen mid-run: $name",
  (factory) => {
    let handle: StoreHandle;
    let connection: StoreConnection;
    let storage: WorkflowStorage;
    const workers = new Workers();
    beforeEach(async () => {
      handle = await factory.create();
      if (handle.connection === undefined) throw new Error(`${factory.name} has no connection`);
      connection = handle.connection;
      // Waits long enough for any dead worker's lease to run out.
      storage = handle.open({ leaseMs, busyTimeoutMs: 20_000 });
    });
    afterEach(async () => {
      await workers.killAll();
      await handle.cleanup();
    });

    it("frees its session once the lease expires; the state has nothing of the dead run", async () => {
      const first = await run(counter, undefined, { storage, sessionId: "crash" });
      const worker = workers.start({ mode: "hold", connection, leaseMs, sessionId: "crash" });
      const holding = await worker.waitFor((m) => m.type === "holding");
      const deadRunId = holding.type === "holding" ? holding.runId : "";

      // The dead run's state changes (count 999, partial) were never saved…
      await worker.kill();
      expect(worker.child.signalCode).toBe("SIGKILL");
      expect((await storage.readSession("crash"))?.sessionState).toEqual({
        count: 1,
        ids: [first.runId],
      });
      // …and until another run takes the session over, its run is listed as still running.
      expect((await storage.listRuns("crash")).map((r) => [r.runId, r.status])).toEqual([
        [first.runId, "completed"],
        [deadRunId, "running"],
      ]);

      const next = await run(counter, undefined, { storage, sessionId: "crash" });
      expect(next.content).toBe("count 2");
      expect((await storage.readSession("crash"))?.sessionState).toEqual({
        count: 2,
        ids: [first.runId, next.runId],
      });
      const runs = await storage.listRuns("crash");
      expect(runs.map((r) => [r.runId, r.workflowId, r.status])).toEqual([
        [first.runId, "counter", "completed"],
        [deadRunId, "hold", "error"],
        [next.runId, "counter", "completed"],
      ]);
      expect(runs[1]?.error).toMatch(/^abandoned: the process running it stopped/);
      // The history of later runs leaves the abandoned run out.
      const seen: string[] = [];
      const peek = defineWorkflow(async function peek(ctx) {
        seen.push(...ctx.history.map((r) => r.runId));
        return "";
      });
      await run(peek, undefined, { storage, sessionId: "crash" });
      expect(seen).toEqual([first.runId, next.runId]);
    }, 60_000);

    it("a worker frozen past its lease cannot overwrite the run that took its session over", async () => {
      const first = await run(counter, undefined, { storage, sessionId: "frozen" });
      const worker = workers.start({ mode: "stall", connection, leaseMs, sessionId: "frozen" });
      const holding = await worker.waitFor((m) => m.type === "holding");
      worker.child.kill("SIGSTOP");
      // Its lease runs out while it is frozen; this run waits for that, then takes over.
      const next = await run(counter, undefined, { storage, sessionId: "frozen" });
      expect(next.content).toBe("count 2");
      worker.child.kill("SIGCONT");
      worker.go(); // Now it tries to save count 999 over count 2.
      const outcome = await worker.waitFor((m) => m.type === "completed" || m.type === "failed");
      expect(outcome).toMatchObject({ type: "failed", name: "SessionConflictError" });
      expect(await worker.exit, worker.log()).toEqual({ code: 0, signal: null });

      expect((await storage.readSession("frozen"))?.sessionState).toEqual({
        count: 2,
        ids: [first.runId, next.runId],
      });
      const runs = await storage.listRuns("frozen");
      expect(runs.map((r) => [r.runId, r.status])).toEqual([
        [first.runId, "completed"],
        [holding.type === "holding" ? holding.runId : "", "error"],
        [next.runId, "completed"],
      ]);
      expect(runs[1]?.error).toMatch(/changed while run .* was in flight/);
      const again = await run(counter, undefined, { storage, sessionId: "frozen" });
      expect(again.content).toBe("count 3");
    }, 60_000);

    it("hands the session to a run waiting in another process when its holder dies", async () => {
      const holder = workers.start({ mode: "hold", connection, leaseMs, sessionId: "handover" });
      const holding = await holder.waitFor((m) => m.type === "holding");
      // A second process queues on the busy session (it waits up to 60 s)…
      const waiter = workers.start({ mode: "loop", connection, leaseMs, sessionId: "handover" });
      await waiter.waitFor((m) => m.type === "ready");
      // …and one here too, through another store instance.
      const here = run(counter, undefined, { storage, sessionId: "handover" });
      await holder.kill();
      const taken = await waiter.waitFor((m) => m.type === "completed");
      const mine = await here;
      await waiter.kill();

      const runs = await storage.listRuns("handover");
      const dead = runs.find((r) => holding.type === "holding" && r.runId === holding.runId);
      expect(dead?.status).toBe("error");
      expect(dead?.error).toMatch(/^abandoned/);
      const top = topLevel(runs);
      expect(top.map((r) => r.runId)).toContain(mine.runId);
      expect(top.map((r) => r.runId)).toContain(taken.type === "completed" ? taken.runId : "");
      // Whatever the killed loop left, the state counts exactly the completed runs.
      await run(counter, undefined, { storage, sessionId: "handover" });
      const after = topLevel(await storage.listRuns("handover"));
      const done = after.filter((r) => r.status === "completed" && r.workflowId === "counter");
      const state = (await storage.readSession("handover"))?.sessionState;
      expect(state).toEqual({ count: done.length, ids: done.map((r) => r.runId) });
      expect(after.filter((r) => r.status === "running")).toEqual([]);
    }, 60_000);

    it("killed at arbitrary points of back-to-back runs, leaves state equal to its completed runs", async () => {
      const mine = new Set<string>(); // runs of this process: they have no child run
      for (const stopAfter of [3, 11, 24]) {
        const worker = workers.start({ mode: "loop", connection, leaseMs, sessionId: "loop" });
        const done = () => worker.messages.filter((m) => m.type === "completed").length;
        await worker.waitFor(() => done() >= stopAfter);
        // Killed wherever it is: claiming, running, saving, or between runs.
        await worker.kill();
        const before = topLevel(await storage.listRuns("loop"));
        expect(before.filter((r) => r.status === "running").length).toBeLessThanOrEqual(1);
        // The next run here waits out the lease if the worker died holding it.
        mine.add((await run(counter, undefined, { storage, sessionId: "loop" })).runId);
        const runs = await storage.listRuns("loop");
        const top = topLevel(runs);
        expect(top.filter((r) => r.status === "running")).toEqual([]);
        for (const failed of top.filter((r) => r.status !== "completed")) {
          expect(failed.status).toBe("error");
          expect(failed.error).toMatch(/^abandoned/);
        }
        const completed = top.filter((r) => r.status === "completed");
        // Every run the worker reported done is stored as completed.
        const reported = worker.messages.flatMap((m) => (m.type === "completed" ? [m.runId] : []));
        expect(completed.map((r) => r.runId)).toEqual(expect.arrayContaining(reported));
        expect((await storage.readSession("loop"))?.sessionState).toEqual({
          count: completed.length,
          ids: completed.map((r) => r.runId),
        });
        expect(completed.map((r) => r.content)).toEqual(completed.map((_, i) => `count ${i + 1}`));
        // A child run's row exists exactly for the completed runs of the workers.
        const children = runs.filter((r) => r.parentRunId !== undefined);
        expect(children.map((r) => r.parentRunId)).toEqual(
          completed.filter((r) => !mine.has(r.runId)).map((r) => r.runId),
        );
      }
    }, 60_000);
  },
);
