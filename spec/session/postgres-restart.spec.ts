import {
  defineWorkflow,
  type RunResponse,
  run,
  StorageUnavailableError,
  type WorkflowStorage,
} from "buddy-ai";
import { postgresStorage } from "buddy-ai/postgres";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestPostgres, type TestPostgres } from "../support/postgres-server.js";
import { settle, sleep } from "./conformance-support.js";

const quiet = { warn: () => {}, debug: () => {} };

/** `storage`, calling `onFinish` whenever a run starts saving. */
function observed(storage: WorkflowStorage, onFinish: () => void): WorkflowStorage {
  return {
    readSession: (id) => storage.readSession(id),
    listSessions: (options) => storage.listSessions(options),
    deleteSession: (id) => storage.deleteSession(id),
    renameSession: (id, name) => storage.renameSession(id, name),
    listRuns: (id, options) => storage.listRuns(id, options),
    getRun: (id) => storage.getRun(id),
    listSteps: (id) => storage.listSteps(id),
    listInterruptedRuns: (ids) => storage.listInterruptedRuns(ids),
    listSuspendedRuns: (options) => storage.listSuspendedRuns(options),
    close: () => storage.close(),
    async openRun(request) {
      const opened = await storage.openRun(request);
      return {
        session: opened.session,
        history: opened.history,
        finish(outcome) {
          onFinish();
          return opened.finish(outcome);
        },
      };
    },
  };
}

// The restart needs a server of this spec's own (the shared one must stay up for other specs).
describe("a database restart while runs are in flight", () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startTestPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("fails them with StorageUnavailableError, keeps state, and the next runs succeed", async () => {
    const storage = postgresStorage({
      connectionString: server.url,
      schema: "restart",
      leaseMs: 1_000, // the failed runs could not give their sessions back: they expire soon
    });
    const sessions = ["a", "b", "c"];
    const counter = defineWorkflow({
      name: "counter",
      run: async (ctx) => {
        ctx.sessionState.count = Number(ctx.sessionState.count ?? 0) + 1;
        return `count ${ctx.sessionState.count}`;
      },
    });
    for (const sessionId of sessions) await run(counter, undefined, { storage, sessionId });

    let started = 0;
    let saving = 0;
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const held = defineWorkflow({
      name: "counter",
      run: async (ctx) => {
        started++;
        await gate;
        ctx.sessionState.count = Number(ctx.sessionState.count ?? 0) + 1;
        return `count ${ctx.sessionState.count}`;
      },
    });
    const blocker = new pg.Client({ connectionString: server.url });
    blocker.on("error", () => {}); // it dies in the restart
    try {
      // Three runs open their sessions and wait in the workflow…
      const inFlight = sessions.map((sessionId) =>
        settle(
          run(held, undefined, {
            storage: observed(storage, () => saving++),
            sessionId,
            logger: quiet,
          }),
        ),
      );
      await vi.waitFor(() => expect(started).toBe(3));
      // …another connection holds their rows, so their saves wait on the server…
      await blocker.connect();
      await blocker.query("begin");
      await blocker.query("select session_id from restart.buddy_sessions for update");
      release();
      await vi.waitFor(() => expect(saving).toBe(3));
      await sleep(100); // let the saves reach the server
      // …and the database restarts under them.
      await server.restart();
      const results = await Promise.all(inFlight);
      for (const { value, error } of results) {
        expect(value).toBeUndefined();
        expect(error).toBeInstanceOf(StorageUnavailableError);
        expect((error as Error).message).toMatch(/could not be reached.*was not saved/s);
        expect((error as Error).cause).toBeDefined();
      }
    } finally {
      await blocker.end().catch(() => {});
    }
    for (const sessionId of sessions) {
      expect((await storage.readSession(sessionId))?.sessionState).toEqual({ count: 1 });
    }
    // The pool reconnects: new sessions at once, the failed runs' sessions once leases expire.
    const next = await Promise.all(
      [...sessions, "new"].map((sessionId) => run(counter, undefined, { storage, sessionId })),
    );
    expect(next.map((r: RunResponse) => r.content)).toEqual([
      "count 2",
      "count 2",
      "count 2",
      "count 1",
    ]);
    for (const sessionId of sessions) {
      const runs = await storage.listRuns(sessionId);
      expect(runs.map((r) => r.status)).toEqual(["completed", "error", "completed"]);
    }
    await storage.close();
  });
});
