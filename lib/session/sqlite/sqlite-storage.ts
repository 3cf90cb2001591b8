import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { Kysely, type SqliteDatabase, SqliteDialect } from "kysely";
import { StorageConfigError } from "../../errors.js";
import { KyselyStorage } from "../kysely/kysely-storage.js";
import { queryLog } from "../kysely/query-log.js";
import type { StorageOptions } from "../kysely/storage-options.js";
import type { StoreDatabase } from "../kysely/store-tables.js";
import type { WorkflowStorage } from "../workflow-storage.js";
import { SharedHandleDialect } from "./shared-handle-dialect.js";
import { toSqliteStorageError } from "./sqlite-errors.js";
import { type RawDatabase, SqliteLedger } from "./sqlite-ledger.js";
import { cachingDatabase } from "./statement-cache.js";

/**
 * {@link sqliteStorage} on a database file it opens (and closes) itself.
 *
 * @example
 * ```ts
 * import { sqliteStorage } from "buddy-ai/sqlite";
 * const storage = sqliteStorage({ dbFile: "tmp/sessions/buddy.db" }); // creates tmp/sessions/
 * ```
 */
export interface SqliteFileStorageOptions extends StorageOptions {
  /**
   * Path of the database file; its directory is created if missing. `":memory:"` keeps
   * everything in memory, for this store only.
   */
  dbFile: string;
  /**
   * How hard SQLite makes each commit durable. `"normal"` (the default: `synchronous=NORMAL`
   * in WAL mode) never corrupts the database, but a power loss or an operating-system crash
   * (not a crash of this process) may lose the last commits, runs whose calls had already
   * returned. `"full"` syncs the write-ahead log at every commit, so a returned run survives
   * those too, at the cost of one disk sync per commit (two per run). See the README's
   * "Reliability".
   */
  synchronous?: "normal" | "full";
  database?: never;
}

/**
 * {@link sqliteStorage} on a better-sqlite3 database you opened (and close yourself).
 *
 * @example
 * ```ts
 * import Database from "better-sqlite3";
 * import { sqliteStorage } from "buddy-ai/sqlite";
 * const database = new Database("tmp/buddy.db");
 * database.pragma("journal_mode = WAL");
 * const storage = sqliteStorage({ database });
 * await storage.close(); // the database stays open
 * database.close();
 * ```
 */
export interface SqliteHandleStorageOptions extends StorageOptions {
  /** An open better-sqlite3 `Database` (or anything with its `prepare`/`close` shape). */
  database: SqliteDatabase;
  dbFile?: never;
  synchronous?: never;
}

/**
 * Options of {@link sqliteStorage}: a `dbFile` to open, or an open `database`; plus the
 * {@link StorageOptions} every store takes.
 *
 * @example
 * ```ts
 * import type { SqliteStorageOptions } from "buddy-ai/sqlite";
 * const options: SqliteStorageOptions = { dbFile: "tmp/buddy.db", busyTimeoutMs: 5_000 };
 * ```
 */
export type SqliteStorageOptions = SqliteFileStorageOptions | SqliteHandleStorageOptions;

/**
 * A session store in SQLite (through better-sqlite3 and Kysely), the embedded default. Tables
 * are created and migrated on first use. A file it opens runs in WAL mode (so several processes
 * can share it), with the `synchronous` level you choose (`"normal"` by default) and a busy
 * timeout of at most 250 ms per attempt: a run waiting for another process's write lock tries
 * again without blocking this process, up to `busyTimeoutMs`. A `database` you pass is used as
 * you configured it (WAL recommended), may be shared by several stores, and is not closed by
 * `close()`. SQLite's errors come out named: `StorageUnavailableError` (a full disk, an I/O
 * error, a lock held too long) or `StorageConfigError` (a path it cannot open, a read-only file,
 * a file that is not a database), each naming the file, with SQLite's error as `cause`.
 *
 * @example
 * ```ts
 * import { defineWorkflow, run } from "buddy-ai";
 * import { sqliteStorage } from "buddy-ai/sqlite";
 *
 * const storage = sqliteStorage({ dbFile: "tmp/buddy.db" });
 * const visit = defineWorkflow(async function visit(ctx) {
 *   const visits = Number(ctx.sessionState.visits ?? 0) + 1;
 *   ctx.sessionState.visits = visits;
 *   return `visit ${visits}`;
 * });
 * console.log((await run(visit, undefined, { storage, sessionId: "user-42" })).content);
 * await storage.close();
 * ```
 */
export function sqliteStorage(options: SqliteStorageOptions): WorkflowStorage {
  const file = fileName(options);
  const handle = lazyHandle(options, file);
  const owns = options.database === undefined;
  const database = async () => cachingDatabase(handle(), owns, file);
  const dialect =
    options.database === undefined
      ? new SqliteDialect({ database })
      : new SharedHandleDialect({ database }, options.database);
  const db = new Kysely<StoreDatabase>({ dialect, log: queryLog(options.onQuery) });
  return new KyselyStorage({
    db,
    ledger: (store) => new SqliteLedger(store, handle, file, options.onQuery),
    leaseExpiry: "observed",
    tableName: options.tableName,
    busyTimeoutMs: options.busyTimeoutMs,
    leaseMs: options.leaseMs,
    eventRetentionMs: options.eventRetentionMs,
  });
}

/** How errors name the database: its path, or the given handle's. */
function fileName(options: SqliteStorageOptions): string {
  if (options.database !== undefined) {
    const name: unknown = (options.database as { name?: unknown }).name;
    return typeof name === "string" ? name : "(the given database)";
  }
  const { dbFile } = options;
  if (typeof dbFile !== "string" || dbFile === "") {
    throw new StorageConfigError(
      'sqliteStorage needs { dbFile: "path/to/file.db" } or { database } (an open better-sqlite3 Database)',
    );
  }
  return dbFile;
}

/** The better-sqlite3 handle: the one given, or the file's, opened on first use. */
function lazyHandle(
  options: SqliteStorageOptions,
  dbFile: string,
): () => SqliteDatabase & RawDatabase {
  if (options.database !== undefined) {
    // A better-sqlite3 Database has both shapes.
    const given = options.database as SqliteDatabase & RawDatabase;
    return () => given;
  }
  const synchronous = options.synchronous ?? "normal";
  if (synchronous !== "normal" && synchronous !== "full") {
    throw new StorageConfigError(
      `synchronous must be "normal" or "full", got ${JSON.stringify(synchronous)}`,
    );
  }
  // One attempt blocks this process at most this long; the claim then waits without blocking.
  const timeout = Math.min(options.busyTimeoutMs ?? 250, 250);
  let opened: Database.Database | undefined;
  return () => {
    if (opened !== undefined) return opened;
    let handle: Database.Database | undefined;
    try {
      if (dbFile !== ":memory:") mkdirSync(dirname(dbFile), { recursive: true });
      handle = new Database(dbFile, { timeout });
      handle.pragma("journal_mode = WAL");
      handle.pragma(`synchronous = ${synchronous.toUpperCase()}`);
    } catch (error) {
      handle?.close();
      throw toSqliteStorageError(error, dbFile);
    }
    opened = handle;
    return handle;
  };
}
