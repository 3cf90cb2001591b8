import { Kysely, type PostgresPool as KyselyPostgresPool, PostgresDialect } from "kysely";
import { StorageConfigError } from "../../errors.js";
import { KyselyStorage } from "../kysely/kysely-storage.js";
import { queryLog } from "../kysely/query-log.js";
import type { StorageOptions } from "../kysely/storage-options.js";
import type { StoreDatabase } from "../kysely/store-tables.js";
import type { WorkflowStorage } from "../workflow-storage.js";
import { DatabaseClock } from "./database-clock.js";
import { createPgPool } from "./load-pg.js";
import { lockedSetUp } from "./locked-set-up.js";
import { PostgresLedger } from "./postgres-ledger.js";
import { schemaName } from "./schema-name.js";
import { storePool } from "./store-pool.js";

/**
 * The pool `postgresStorage({ pool })` takes: a `pg.Pool`, or any pool with its `connect()` and
 * `end()` whose clients answer `query(text, values)` and `query({ text, values, types })` as
 * `pg`'s do (Kysely's `PostgresPool`). Typed structurally, so `@types/pg` is not needed.
 *
 * @example
 * ```ts
 * import pg from "pg";
 * import type { PostgresPool } from "buddy-ai/postgres";
 * const pool: PostgresPool = new pg.Pool({ connectionString: "postgres://localhost/app" });
 * ```
 */
export type PostgresPool = KyselyPostgresPool;

/**
 * Options every {@link postgresStorage} takes, whatever its connection.
 *
 * @example
 * ```ts
 * import type { PostgresStoreOptions } from "buddy-ai/postgres";
 * const options: PostgresStoreOptions = { schema: "buddy", tableName: "sessions", leaseMs: 10_000 };
 * ```
 */
export interface PostgresStoreOptions extends StorageOptions {
  /**
   * The schema of the store's tables, created if missing. A plain identifier (letters, digits,
   * underscores; used quoted, so case-sensitive), not starting with `pg_`. Default `"public"`.
   */
  schema?: string;
}

/**
 * {@link postgresStorage} on a pool it creates from a connection string (and ends in `close()`):
 * `pg`'s defaults (up to 10 connections), TCP keep-alive, and a 10 s limit on connecting. For
 * other settings, pass your own `pool`.
 *
 * @example
 * ```ts
 * import { postgresStorage } from "buddy-ai/postgres";
 * const storage = postgresStorage({
 *   connectionString: "postgres://app:secret@db.internal:5432/app",
 *   schema: "buddy",
 * });
 * ```
 */
export interface PostgresUrlStorageOptions extends PostgresStoreOptions {
  /**
   * A `postgres://` URL, as `pg` takes it (`?sslmode=…` and the rest included). Typed to take
   * `process.env.DATABASE_URL` as it is: `undefined` is refused with `StorageConfigError`.
   */
  connectionString: string | undefined;
  pool?: never;
}

/**
 * {@link postgresStorage} on a pool you created (and end yourself: `close()` leaves it open).
 *
 * @example
 * ```ts
 * import pg from "pg";
 * import { postgresStorage } from "buddy-ai/postgres";
 * const pool = new pg.Pool({ connectionString: "postgres://localhost/app", max: 20 });
 * pool.on("error", (error) => console.warn("idle Postgres client failed:", error.message));
 * const storage = postgresStorage({ pool, schema: "buddy" });
 * await storage.close(); // the pool stays open
 * await pool.end();
 * ```
 */
export interface PostgresPoolStorageOptions extends PostgresStoreOptions {
  /**
   * A `pg` Pool (or any pool of `pg`-compatible clients). Listen for its `error` event: `pg`
   * emits it when an idle client's connection dies, and an unhandled one ends the process.
   */
  pool: PostgresPool;
  connectionString?: never;
}

/**
 * Options of {@link postgresStorage}: a `connectionString` or a `pool`, plus `schema` and the
 * {@link StorageOptions} every store takes.
 *
 * @example
 * ```ts
 * import type { PostgresStorageOptions } from "buddy-ai/postgres";
 * const options: PostgresStorageOptions = {
 *   connectionString: process.env.DATABASE_URL ?? "postgres://localhost/app",
 *   schema: "buddy",
 * };
 * ```
 */
export type PostgresStorageOptions = PostgresUrlStorageOptions | PostgresPoolStorageOptions;

/**
 * A session store in PostgreSQL (through `pg` and Kysely's Postgres dialect), for workers on
 * many machines sharing one database. Install `pg` next to buddy-ai (`npm install pg`). The
 * tables are created and migrated on first use, also when many processes start at once.
 *
 * - Values (state, input, content…) are stored as `json`, not `jsonb`: `json` keeps the encoded
 *   text exactly, while `jsonb` reorders object keys and refuses `\u0000`, which the state codec
 *   writes (it escapes `__proto__` keys with a leading NUL).
 * - Runs on one session take turns through an expiring lease on the session's row, as on SQLite;
 *   unlike a session advisory lock it does not live on one connection, so a dropped connection
 *   or a pool handing out another client loses nothing; and a worker that crashes frees its
 *   session when the lease expires. Leases are timed by the database server's clock.
 * - A run costs three round trips (two when this store ran the session last): one statement
 *   claims the lease and records the run, one reads the history, one saves.
 * - When the database cannot be reached (a restart, a network failure), operations fail with
 *   `StorageUnavailableError`; the pool drops dead connections and the next operations reconnect.
 *
 * @example
 * ```ts
 * import { defineWorkflow, run } from "buddy-ai";
 * import { postgresStorage } from "buddy-ai/postgres";
 *
 * const storage = postgresStorage({
 *   connectionString: process.env.DATABASE_URL ?? "postgres://localhost/app",
 *   schema: "buddy",
 * });
 * const visit = defineWorkflow(async function visit(ctx) {
 *   ctx.sessionState.visits = Number(ctx.sessionState.visits ?? 0) + 1;
 *   return `visit ${ctx.sessionState.visits}`;
 * });
 * console.log((await run(visit, undefined, { storage, sessionId: "user-42" })).content);
 * await storage.close(); // ends the pool it created
 * ```
 */
export function postgresStorage(options: PostgresStorageOptions): WorkflowStorage {
  const schema = schemaName(options.schema ?? "public");
  const dialect = new PostgresDialect({ pool: poolOf(options) });
  const db = new Kysely<StoreDatabase>({ dialect, log: queryLog(options.onQuery) }).withSchema(
    schema,
  );
  const clock = new DatabaseClock(db as Kysely<unknown>);
  return new KyselyStorage({
    db,
    ledger: (store) => new PostgresLedger(store),
    tableName: options.tableName,
    busyTimeoutMs: options.busyTimeoutMs,
    leaseMs: options.leaseMs,
    eventRetentionMs: options.eventRetentionMs,
    columnTypes: { value: "json", integer: "bigint", withoutRowid: false },
    migrationSchema: schema,
    setUp: lockedSetUp(db, schema, clock),
    now: clock.now,
  });
}

/** The pool behind the dialect: the user's as given, or one created on the first query. */
function poolOf(options: PostgresStorageOptions): PostgresPool | (() => Promise<PostgresPool>) {
  const { connectionString, pool } = options;
  if (pool !== undefined && connectionString === undefined) {
    if (typeof pool?.connect !== "function" || typeof pool.end !== "function") {
      throw new StorageConfigError(
        "postgresStorage: pool must be a pg Pool (with connect and end)",
      );
    }
    return storePool(pool, false);
  }
  if (pool === undefined && typeof connectionString === "string" && connectionString !== "") {
    const limits = {
      lockTimeoutMs: Math.min(options.busyTimeoutMs ?? 1_000, 1_000),
      idleInTransactionMs: options.leaseMs ?? 15_000,
    };
    return async () => storePool(await createPgPool(connectionString, limits), true);
  }
  const got =
    pool !== undefined && connectionString !== undefined
      ? "got both"
      : `got connectionString ${JSON.stringify(connectionString)}: is the variable it comes from (e.g. DATABASE_URL) set?`;
  throw new StorageConfigError(
    'postgresStorage needs either { connectionString: "postgres://user@host:5432/db" } or ' +
      `{ pool } (a pg Pool); ${got}`,
  );
}
