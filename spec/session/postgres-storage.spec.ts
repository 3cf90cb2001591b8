import { type ChildProcessWithoutNullStreams, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import {
  defineWorkflow,
  RunResponse,
  run,
  StorageConfigError,
  StorageUnavailableError,
  type WorkflowStorage,
} from "buddy-ai";
import { type PostgresPool, postgresStorage } from "buddy-ai/postgres";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { completeRun } from "./conformance-support.js";

const root = join(import.meta.dirname, "..", "..");
const url = inject("postgresUrl");
const entry = pathToFileURL(join(root, "lib", "postgres.ts")).href;

/**
 * A Node process (through tsx) that opens a store on `schema`, prints "ready", waits for a line
 * on stdin, then makes the store's first query (which migrates) and prints the statements that
 * failed on the way as JSON.
 */
function firstUseProcess(schema: string): {
  child: ChildProcessWithoutNullStreams;
  ready: Promise<void>;
  result: Promise<string[]>;
} {
  const script = `
    const { postgresStorage } = await import(${JSON.stringify(entry)});
    const failed = [];
    const storage = postgresStorage({
      connectionString: ${JSON.stringify(url)},
      schema: ${JSON.stringify(schema)},
      onQuery: (event) => { if (event.error) failed.push(String(event.error.message)); },
    });
    console.log("ready");
    await new Promise((resolve) => process.stdin.once("data", resolve));
    await storage.readSession("x");
    console.log(JSON.stringify(failed));
    await storage.close();
    process.stdin.destroy();`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: root,
  });
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      if (out.includes("ready\n")) resolve();
    });
    child.once("exit", () => reject(new Error(`exited before ready: ${out}`)));
  });
  child.stderr.on("data", (chunk: string) => {
    out += chunk;
  });
  const result = new Promise<string[]>((resolve, reject) => {
    child.once("exit", (code) => {
      const last = out.trim().split("\n").at(-1) ?? "";
      if (code === 0) resolve(JSON.parse(last) as string[]);
      else reject(new Error(`exited with ${code}: ${out}`));
    });
  });
  return { child, ready, result };
}

/** Runs one statement on the specs' server on a fresh connection. */
async function query<R extends Record<string, unknown>>(
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

const tablesIn = async (schema: string) =>
  (
    await query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = $1 order by 1",
      [schema],
    )
  ).map((row) => row.table_name);

const counter = defineWorkflow({
  name: "counter",
  run: async (ctx) => {
    ctx.sessionState.count = Number(ctx.sessionState.count ?? 0) + 1;
    return `count ${ctx.sessionState.count}`;
  },
});

describe("postgresStorage", () => {
  let schema: string;
  const stores: WorkflowStorage[] = [];
  const open = (options: Parameters<typeof postgresStorage>[0]) => {
    const storage = postgresStorage(options);
    stores.push(storage);
    return storage;
  };
  beforeEach(() => {
    schema = `spec_${randomBytes(8).toString("hex")}`;
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await query(`drop schema if exists "${schema}" cascade`);
  });

  it("migrates once when several stores start at once on a fresh schema", async () => {
    // Unlocked, racing `create table if not exists` fail (a unique violation on pg_type) and
    // are retried; under the store's advisory lock no statement fails.
    const failed: unknown[] = [];
    const many = Array.from({ length: 6 }, (_, i) =>
      open({
        connectionString: url,
        schema,
        tableName: i < 4 ? "buddy_sessions" : `other_${i}`,
        onQuery: (event) => {
          if (event.error !== undefined) failed.push(event.error);
        },
      }),
    );
    const results = await Promise.all(many.map((s, i) => completeRun(s, `s${i}`, { i })));
    expect(results).toHaveLength(6);
    expect(failed).toEqual([]);
    expect(await tablesIn(schema)).toEqual([
      "buddy_sessions",
      "buddy_sessions_events",
      "buddy_sessions_migrations",
      "buddy_sessions_migrations_lock",
      "buddy_sessions_runs",
      "buddy_sessions_steps",
      "other_4",
      "other_4_events",
      "other_4_migrations",
      "other_4_migrations_lock",
      "other_4_runs",
      "other_4_steps",
      "other_5",
      "other_5_events",
      "other_5_migrations",
      "other_5_migrations_lock",
      "other_5_runs",
      "other_5_steps",
    ]);
    const applied = await query(`select name from "${schema}".buddy_sessions_migrations`);
    expect(applied).toEqual([
      { name: "0001_sessions_and_runs" },
      { name: "0002_previous_run_id" },
      { name: "0003_steps" },
      { name: "0004_event_log" },
    ]);
    expect((await many[3]?.readSession("s0"))?.sessionState).toEqual({ i: 0 });
  });

  it("migrates once when several processes start at once on a fresh schema", async () => {
    const processes = [1, 2, 3, 4].map(() => firstUseProcess(schema));
    try {
      await Promise.all(processes.map((p) => p.ready));
      for (const p of processes) p.child.stdin.write("go\n");
      const failed = await Promise.all(processes.map((p) => p.result));
      // Under the advisory lock no statement fails. PGlite's connections share one session, so
      // its advisory locks exclude no one: there the migrator's retries make up for it.
      if (inject("postgresKind") === "postgresql") expect(failed.flat()).toEqual([]);
    } finally {
      for (const p of processes) p.child.kill("SIGKILL");
    }
    expect(await tablesIn(schema)).toEqual([
      "buddy_sessions",
      "buddy_sessions_events",
      "buddy_sessions_migrations",
      "buddy_sessions_migrations_lock",
      "buddy_sessions_runs",
      "buddy_sessions_steps",
    ]);
    const applied = await query(`select name from "${schema}".buddy_sessions_migrations`);
    expect(applied).toEqual([
      { name: "0001_sessions_and_runs" },
      { name: "0002_previous_run_id" },
      { name: "0003_steps" },
      { name: "0004_event_log" },
    ]);
  });

  it("creates its schema, keeps everything in it, and stores values as json", async () => {
    const storage = open({ connectionString: url, schema });
    const state = { zeta: 1, alpha: "a\u0000b", nested: { b: [2], a: new Date(3) } };
    const proto = JSON.parse('{"__proto__": {"x": 1}}') as Record<string, unknown>;
    await completeRun(storage, "s", { ...state, proto });
    expect(await tablesIn(schema)).toContain("buddy_sessions");
    const types = await query<{ column_name: string; data_type: string }>(
      `select column_name, data_type from information_schema.columns
       where table_schema = $1 and table_name = 'buddy_sessions'
       and column_name in ('session_state', 'version', 'lease_expires_at') order by 1`,
      [schema],
    );
    expect(types).toEqual([
      { column_name: "lease_expires_at", data_type: "bigint" },
      { column_name: "session_state", data_type: "json" },
      { column_name: "version", data_type: "bigint" },
    ]);
    // json keeps the text as written: key order, and the codec's \u0000 escapes.
    const loaded = (await storage.readSession("s"))?.sessionState ?? {};
    expect(Object.keys(loaded)).toEqual(["zeta", "alpha", "nested", "proto"]);
    expect(Object.keys(loaded.nested as object)).toEqual(["b", "a"]);
    expect(loaded).toStrictEqual({ ...state, proto });
    expect(Object.hasOwn(loaded.proto as object, "__proto__")).toBe(true);
    const [raw] = await query<{ text: string }>(
      `select session_state::text as text from "${schema}".buddy_sessions`,
    );
    expect(raw?.text).toMatch(/^\{"json":\{"zeta":1,"alpha":"a\\u0000b"/);
  });

  it("uses the public schema by default", async () => {
    const tableName = `spec_default_${randomBytes(4).toString("hex")}`;
    try {
      await completeRun(open({ connectionString: url, tableName }), "s", { ok: true });
      expect(await tablesIn("public")).toEqual(
        expect.arrayContaining([tableName, `${tableName}_runs`, `${tableName}_migrations`]),
      );
    } finally {
      for (const suffix of ["", "_runs", "_migrations", "_migrations_lock"]) {
        await query(`drop table if exists public."${tableName}${suffix}"`);
      }
    }
  });

  it("leaves a pool it was given open on close()", async () => {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    pool.on("error", () => {});
    try {
      const storage = postgresStorage({ pool, schema });
      expect((await run(counter, undefined, { storage, sessionId: "p" })).content).toBe("count 1");
      await storage.close();
      const { rows } = await pool.query<{ n: number }>("select 1 as n");
      expect(rows).toEqual([{ n: 1 }]);
      // A new store on the same pool resumes the session.
      const again = postgresStorage({ pool, schema });
      expect((await run(counter, undefined, { storage: again, sessionId: "p" })).content).toBe(
        "count 2",
      );
      await again.close();
    } finally {
      await pool.end();
    }
  });

  it("listens for a client's error from the moment the pool hands it out", async () => {
    // A connection that dies as it is handed out: `pg` emits `error` from the socket before
    // the caller of `connect()` gets the client. Unheard, it would end the process.
    const died = () => new Error("terminating connection due to administrator command");
    const client = Object.assign(new EventEmitter(), {
      query: async () => {
        throw Object.assign(died(), { code: "57P01" });
      },
      release: vi.fn(),
    });
    const pool = Object.assign(new EventEmitter(), {
      connect: () => {
        pool.emit("acquire", client);
        queueMicrotask(() => client.emit("error", died()));
        return Promise.resolve(client);
      },
      end: async () => {},
    });
    const storage = postgresStorage({ pool: pool as unknown as PostgresPool, schema });
    await expect(storage.listSessions()).rejects.toThrow(StorageUnavailableError);
    expect(client.listenerCount("error")).toBe(1);
    expect(client.release).toHaveBeenCalledWith(true); // the broken client is not reused
    await storage.close();
  });

  it("ends the pool it created on close()", async () => {
    const sockets = () =>
      process.getActiveResourcesInfo().filter((kind) => kind === "TCPSocketWrap").length;
    const before = sockets();
    const storage = postgresStorage({ connectionString: url, schema });
    await Promise.all([1, 2, 3].map((i) => completeRun(storage, `c${i}`)));
    expect(sockets()).toBeGreaterThan(before);
    await storage.close();
    // pg ends each client with a goodbye message; its socket closes when the server answers.
    await vi.waitFor(() => expect(sockets()).toBe(before), { timeout: 5_000 });
  });

  it.each([
    ["no connection", {}],
    ["an empty connection string", { connectionString: "" }],
    ["both a connection string and a pool", { connectionString: url, pool: new pg.Pool() }],
    ["a pool that is not one", { pool: { query: () => {} } }],
    ["a missing table name", { connectionString: url, tableName: "" }],
    ["a table name with a quote", { connectionString: url, tableName: 'a"b' }],
    ["a schema with a quote", { connectionString: url, schema: 'x"; drop schema public; --' }],
    ["an empty schema", { connectionString: url, schema: "" }],
    ["a schema PostgreSQL reserves", { connectionString: url, schema: "pg_buddy" }],
  ])("refuses %s with StorageConfigError", (_what, options) => {
    expect(() => postgresStorage(options as Parameters<typeof postgresStorage>[0])).toThrow(
      StorageConfigError,
    );
  });

  it("reads stored runs back as RunResponse with numbers for timestamps", async () => {
    const storage = open({ connectionString: url, schema });
    const before = Date.now();
    await run(counter, undefined, { storage, sessionId: "n" });
    const [stored] = await storage.listRuns("n");
    expect(stored).toBeInstanceOf(RunResponse);
    expect(typeof stored?.createdAt).toBe("number");
    const session = await storage.readSession("n");
    expect(typeof session?.createdAt).toBe("number");
    // Timestamps come from the database's clock: here the same machine's.
    expect(Math.abs((session?.updatedAt ?? 0) - before)).toBeLessThan(60_000);
  });

  it("says to install pg when it is missing", async () => {
    // A module hook that makes `pg` unresolvable, then the store's first query.
    const hook = `export async function resolve(specifier, context, next) {
      if (specifier === "pg") {
        throw Object.assign(new Error("Cannot find package 'pg'"), { code: "ERR_MODULE_NOT_FOUND" });
      }
      return next(specifier, context);
    }`;
    const script = `
      import { register } from "node:module";
      register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hook)}));
      const { postgresStorage } = await import(${JSON.stringify(entry)});
      const storage = postgresStorage({ connectionString: ${JSON.stringify(url)} });
      const error = await storage.readSession("x").catch((e) => e);
      console.log(JSON.stringify({ name: error.name, message: error.message }));
      await storage.close();`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      { cwd: root },
    );
    const printed = JSON.parse(stdout) as { name: string; message: string };
    expect(printed.name).toBe("StorageConfigError");
    expect(printed.message).toMatch(/npm install pg/);
  });
});
