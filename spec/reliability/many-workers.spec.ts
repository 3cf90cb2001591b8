import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Worker, Workers } from "../support/reliability-processes.js";
import { type StoreHandle, storeFactories } from "../support/stores.js";

const processes = 4;
const runsPerProcess = 100;
const sessions = Array.from({ length: 10 }, (_, i) => `shared-${i}`);

describe.each(storeFactories.filter((factory) => factory.sharedAcrossProcesses))(
  "many workers on shared sessions: $name",
  (factory) => {
    let handle: StoreHandle;
    const workers = new Workers();
    beforeEach(async () => {
      handle = await factory.create();
    });
    afterEach(async () => {
      await workers.killAll();
      await handle.cleanup();
    });

    it(`${processes} processes × ${runsPerProcess} runs over ${sessions.length} sessions lose no update and no run`, async () => {
      const connection = handle.connection;
      if (connection === undefined) throw new Error(`${factory.name} has no connection`);
      const started: Worker[] = Array.from({ length: processes }, (_, i) =>
        workers.start({
          mode: "count",
          connection,
          leaseMs: 10_000,
          seed: i + 1,
          runs: runsPerProcess,
          concurrency: 4,
          sessions,
        }),
      );
      // Every process is connected before any run starts, so the runs really overlap.
      await Promise.all(started.map((w) => w.waitFor((m) => m.type === "ready")));
      for (const worker of started) worker.go();
      for (const worker of started) {
        expect(await worker.exit, worker.log()).toEqual({ code: 0, signal: null });
      }

      const reported = started.flatMap((w) => w.messages);
      expect(reported.filter((m) => m.type === "failed")).toEqual([]);
      const completed = new Map<string, string>(); // run id → session id
      for (const m of reported) if (m.type === "completed") completed.set(m.runId, m.sessionId);
      expect(completed.size).toBe(processes * runsPerProcess);

      const { storage } = handle;
      const seen = new Set<string>();
      for (const sessionId of sessions) {
        const runs = await storage.listRuns(sessionId);
        const top = runs.filter((r) => r.parentRunId === undefined);
        const children = runs.filter((r) => r.parentRunId !== undefined);
        expect(top.map((r) => r.status).filter((s) => s !== "completed")).toEqual([]);
        expect(children.map((r) => r.status).filter((s) => s !== "completed")).toEqual([]);
        // One child run (the note) per run, under its parent.
        expect(children.map((r) => r.parentRunId)).toEqual(top.map((r) => r.runId));
        for (const r of top) {
          expect(completed.get(r.runId), `run ${r.runId} in ${sessionId}`).toBe(sessionId);
          seen.add(r.runId);
        }
        // Runs took turns: each saw the count its predecessor left, and its id follows theirs.
        expect(top.map((r) => r.content)).toEqual(top.map((_, i) => `count ${i + 1}`));
        const session = await storage.readSession(sessionId);
        expect(session?.sessionState).toEqual({
          count: top.length,
          ids: top.map((r) => r.runId),
        });
      }
      expect(seen.size).toBe(processes * runsPerProcess);
      expect((await storage.listSessions()).map((s) => s.sessionId).sort()).toEqual(
        [...sessions].sort(),
      );
      // No session is left claimed.
      expect(
        await handle.sql("select session_id from buddy_sessions where lease_owner is not null"),
      ).toEqual([]);
    }, 90_000);
  },
);
