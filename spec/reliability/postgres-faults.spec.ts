import {
  defineWorkflow,
  type RunResponse,
  run,
  SessionBusyError,
  StorageUnavailableError,
} from "buddy-ai";
import { postgresStorage } from "buddy-ai/postgres";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { settle, sleep } from "../session/conformance-support.js";
import {
  postgresBinDir,
  startTestPostgres,
  type TestPostgres,
} from "../support/postgres-server.js";
import { Workers } from "../support/reliability-processes.js";

const quiet = { warn: () => {}, debug: () => {} };

const counter = defineWorkflow({
  name: "counter",
  run: async (ctx) => {
    ctx.sessionState.count = Number(ctx.sessionState.count ?? 0) + 1;
    return `count ${ctx.sessionState.count}`;
  },
});

const topLevel = (runs: RunResponse[]) => runs.filter((r) => r.parentRunId === undefined);

/** Runs `text` on a connection of its own. */
async function sql(url: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * A `pg` pool whose clients lose the reply of the next statement matching `dropped` once
 * armed: the server runs it (and commits it), and the caller gets a connection error instead.
 */
function lossyPool(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on("error", () => {});
  const control = { dropped: undefined as RegExp | undefined, lost: 0 };
  pool.on("connect", (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
    Object.assign(client, {
      query: async (...args: unknown[]) => {
        const config = args[0] as { text?: string } | string;
        const text = typeof config === "string" ? config : (config.text ?? "");
        const result = await query(...args);
        if (control.dropped?.test(text)) {
          control.dropped = undefined;
          control.lost++;
          throw Object.assign(new Error("Connection terminated unexpectedly"), {
            code: "ECONNRESET",
          });
        }
        return result;
      },
    });
  });
  return { pool, control };
}

// A server of this spec's own: the storm terminates every connection of the store's name. It
// needs PostgreSQL itself (PGlite has one backend, no terminate and no lock waits); CI has it.
describe.runIf(postgresBinDir() !== undefined)("PostgreSQL under faults", () => {
  let server: TestPostgres;
  const workers = new Workers();
  beforeAll(async () => {
    server = await startTestPostgres();
  });
  afterEach(async () => {
    await workers.killAll();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("a storm of terminated connections: no crash, every failure named, no run left running", async () => {
    const connection = { kind: "postgres", connectionString: server.url, schema: "storm" } as const;
    const sessions = ["a", "b", "c", "d"];
    const worker = workers.start({
      mode: "count",
      connection,
      leaseMs: 1_000,
      seed: 7,
      runs: 400,
      concurrency: 4,
      sessions,
      busyTimeoutMs: 30_000,
    });
    await worker.waitFor((m) => m.type === "ready");
    worker.go();
    let storming = true;
    let terminated = 0;
    const storm = (async () => {
      while (storming) {
        const { rows } = await sql(
          server.url,
          "select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = 'buddy-ai'",
        );
        terminated += rows.length;
        await sleep(50);
      }
    })();
    const exit = await worker.exit;
    storming = false;
    await storm;
    expect(worker.log()).not.toMatch(/Unhandled|uncaught/i);
    expect(exit.signal).toBeNull();
    const reported = worker.messages.filter((m) => m.type === "completed" || m.type === "failed");
    expect(reported).toHaveLength(400);
    const failed = worker.messages.filter((m) => m.type === "failed");
    for (const failure of failed) {
      expect(failure.type === "failed" && failure.name).toBe("StorageUnavailableError");
    }
    expect(terminated).toBeGreaterThan(0);

    // After the storm, one more run per session ends whatever a lost claim left behind.
    const storage = postgresStorage({
      connectionString: server.url,
      schema: "storm",
      leaseMs: 1_000,
    });
    for (const sessionId of sessions) {
      await run(counter, undefined, { storage, sessionId, logger: quiet });
      const runs = topLevel(await storage.listRuns(sessionId));
      expect(runs.filter((r) => r.status === "running")).toEqual([]);
      const completed = runs.filter((r) => r.status === "completed").length;
      expect((await storage.readSession(sessionId))?.sessionState.count).toBe(completed);
    }
    await storage.close();
  }, 120_000);

  it("a lost reply to the claim: the run fails named, the session's next run starts at once", async () => {
    const { pool, control } = lossyPool(server.url);
    const storage = postgresStorage({
      pool,
      schema: "lossy",
      leaseMs: 60_000,
      busyTimeoutMs: 2_000,
    });
    await run(counter, undefined, { storage, sessionId: "s", logger: quiet });
    control.dropped = /with "claim"/;
    const { error } = await settle(
      run(counter, undefined, { storage, sessionId: "s", logger: quiet }),
    );
    expect(control.lost).toBe(1);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    // The claim was made: its run is recorded as running, and the lease is held for a minute.
    const orphan = (await storage.listRuns("s")).at(-1);
    expect(orphan?.status).toBe("running");
    // This store knows that lease is its own dead one: the next run takes it over now, and ends
    // the orphan as abandoned.
    const next = await run(counter, undefined, { storage, sessionId: "s", logger: quiet });
    expect(next.content).toBe("count 2");
    const runs = await storage.listRuns("s");
    expect(runs.map((r) => r.status)).toEqual(["completed", "error", "completed"]);
    expect(runs[1]?.error).toMatch(/^abandoned/);

    // A lost reply to the save: the commit landed, so the run is stored completed; the caller
    // was told it failed (the one ambiguity no client can resolve); nothing is left running.
    control.dropped = /with "saved"/;
    const lost = await settle(run(counter, undefined, { storage, sessionId: "s", logger: quiet }));
    expect(lost.error).toBeInstanceOf(StorageUnavailableError);
    await run(counter, undefined, { storage, sessionId: "s", logger: quiet });
    const after = await storage.listRuns("s");
    expect(after.filter((r) => r.status === "running")).toEqual([]);
    expect((await storage.readSession("s"))?.sessionState.count).toBe(
      after.filter((r) => r.status === "completed").length,
    );
    await storage.close();
    await pool.end();
  });

  it("a table locked by someone else: SessionBusyError within busyTimeoutMs, not an endless wait", async () => {
    const busyTimeoutMs = 1_500;
    const storage = postgresStorage({
      connectionString: server.url,
      schema: "locked",
      busyTimeoutMs,
    });
    await run(counter, undefined, { storage, sessionId: "s", logger: quiet });
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      await admin.query("begin; lock table locked.buddy_sessions in access exclusive mode");
      const started = performance.now();
      const { error } = await settle(
        run(counter, undefined, { storage, sessionId: "s", logger: quiet }),
      );
      const waited = performance.now() - started;
      expect(error).toBeInstanceOf(SessionBusyError);
      expect(waited).toBeGreaterThanOrEqual(busyTimeoutMs - 100);
      expect(waited).toBeLessThan(busyTimeoutMs + 1_500);
    } finally {
      await admin.query("rollback");
      await admin.end();
    }
    expect(
      (await run(counter, undefined, { storage, sessionId: "s", logger: quiet })).content,
    ).toBe("count 2");
    await storage.close();
  });

  it("setup cut short by a timeout is named, and the store works once the database lets it", async () => {
    const pool = new pg.Pool({ connectionString: server.url, statement_timeout: 300 });
    pool.on("error", () => {});
    await sql(
      server.url,
      "create schema if not exists setup; create table if not exists setup.buddy_sessions_migrations_lock (id varchar(255) primary key, is_locked integer not null default 0)",
    );
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    const storage = postgresStorage({ pool, schema: "setup" });
    try {
      // Someone holds a table the setup reads: its statements outlive statement_timeout.
      await admin.query(
        "begin; lock table setup.buddy_sessions_migrations_lock in access exclusive mode",
      );
      const { error } = await settle(storage.listSessions());
      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect((error as Error).cause).toMatchObject({ code: "57014" });
    } finally {
      await admin.query("rollback");
      await admin.end();
    }
    // The database lets it now: the same store sets up and works.
    expect(await storage.listSessions()).toEqual([]);
    expect(
      (await run(counter, undefined, { storage, sessionId: "s", logger: quiet })).content,
    ).toBe("count 1");
    await storage.close();
    await pool.end();
  }, 30_000);

  it("a statement timeout of the database: StorageUnavailableError carrying PostgreSQL's error", async () => {
    const pool = new pg.Pool({ connectionString: server.url, statement_timeout: 300 });
    pool.on("error", () => {});
    const storage = postgresStorage({ pool, schema: "slow", busyTimeoutMs: 5_000 });
    await run(counter, undefined, { storage, sessionId: "s", logger: quiet });
    const holder = new pg.Client({ connectionString: server.url });
    await holder.connect();
    try {
      // A transaction holds the session's row: the claim's statement outlives statement_timeout.
      await holder.query(
        "begin; select * from slow.buddy_sessions where session_id = 's' for update",
      );
      const { error } = await settle(
        run(counter, undefined, { storage, sessionId: "s", logger: quiet }),
      );
      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect(String(error)).toMatch(/statement_timeout/);
      expect((error as Error).cause).toMatchObject({ code: "57014" });
    } finally {
      await holder.query("rollback");
      await holder.end();
    }
    expect((await storage.readSession("s"))?.sessionState).toEqual({ count: 1 });
    await storage.close();
    await pool.end();
  });
});
