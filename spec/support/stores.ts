import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { WorkflowStorage } from "buddy-ai";
import { postgresStorage } from "buddy-ai/postgres";
import { type StorageOptions, sqliteStorage } from "buddy-ai/sqlite";
import pg from "pg";

/** One database under test, and the ways a spec reaches it. */
export interface StoreHandle {
  /** A store on the database with default options. */
  readonly storage: WorkflowStorage;
  /** Another store instance on the same database (as another process would have). */
  open(options?: StorageOptions): WorkflowStorage;
  /**
   * Runs one raw SQL statement on the database, outside every store (to inspect rows, or to
   * play a stale writer or a crashed process). Portable SQL only: no parameters.
   */
  sql(text: string): Promise<Record<string, unknown>[]>;
  /** Closes every store it opened and removes the database. */
  cleanup(): Promise<void>;
  /**
   * How another process opens a store on this database (JSON, for worker processes); present
   * exactly when the factory is `sharedAcrossProcesses`.
   */
  readonly connection?: StoreConnection;
  /**
   * Stores with schemas (Postgres): another store in schema `schema` of the same database. The
   * hostile-input spec passes it hostile schema names.
   */
  openInSchema?(schema: string, options?: StorageOptions): WorkflowStorage;
}

/** A kind of store the conformance spec runs against. */
export interface StoreFactory {
  readonly name: string;
  /**
   * Whether other processes can open the same database (SQLite files, Postgres; not SQLite
   * `:memory:`). Its handles then carry a `connection` for worker processes.
   */
  readonly sharedAcrossProcesses: boolean;
  create(): Promise<StoreHandle>;
}

/**
 * How a worker process reaches a database, as JSON it receives on its command line; opened with
 * {@link openStoreConnection}. The Postgres factory adds its variant (connection string, schema)
 * and the matching case there.
 */
export type StoreConnection =
  | { readonly kind: "sqlite"; readonly dbFile: string }
  | { readonly kind: "postgres"; readonly connectionString: string; readonly schema: string };

/** Opens a store from a {@link StoreConnection}, in whichever process holds it. */
export function openStoreConnection(
  connection: StoreConnection,
  options: StorageOptions = {},
): WorkflowStorage {
  switch (connection.kind) {
    case "sqlite":
      return sqliteStorage({ ...options, dbFile: connection.dbFile });
    case "postgres":
      return postgresStorage({
        ...options,
        connectionString: connection.connectionString,
        schema: connection.schema,
      });
    default: {
      const unknown: never = connection;
      throw new Error(`no way to open a ${String(unknown)} store in a worker process`);
    }
  }
}

/** Opens stores through `open` and closes them all on cleanup. */
function tracked(open: (options?: StorageOptions) => WorkflowStorage) {
  const opened: WorkflowStorage[] = [];
  return {
    open(options?: StorageOptions) {
      const storage = open(options);
      opened.push(storage);
      return storage;
    },
    /** Tracks a store opened some other way. */
    adopt(storage: WorkflowStorage) {
      opened.push(storage);
    },
    closeAll: () => Promise.all(opened.map((s) => s.close())),
  };
}

function rawSql(db: Database.Database, text: string): Record<string, unknown>[] {
  const statement = db.prepare(text);
  if (statement.reader) return statement.all() as Record<string, unknown>[];
  statement.run();
  return [];
}

/** SQLite in a file of a new temporary directory (nested, so the store creates it). */
export const sqliteFile: StoreFactory = {
  name: "SQLite file",
  sharedAcrossProcesses: true,
  async create() {
    const dir = await mkdtemp(join(tmpdir(), "buddy-store-"));
    const dbFile = join(dir, "nested", "dir", "buddy.db");
    const stores = tracked((options) => sqliteStorage({ ...options, dbFile }));
    const storage = stores.open();
    let raw: Database.Database | undefined;
    return {
      storage,
      open: stores.open,
      connection: { kind: "sqlite", dbFile },
      async sql(text) {
        raw ??= new Database(dbFile, { timeout: 5_000 });
        return rawSql(raw, text);
      },
      async cleanup() {
        await stores.closeAll();
        raw?.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
};

/** SQLite `:memory:` through one better-sqlite3 handle that every store of the test shares. */
export const sqliteMemory: StoreFactory = {
  name: "SQLite :memory:",
  sharedAcrossProcesses: false,
  async create() {
    const database = new Database(":memory:");
    const stores = tracked((options) => sqliteStorage({ ...options, database }));
    const storage = stores.open();
    return {
      storage,
      open: stores.open,
      async sql(text) {
        return rawSql(database, text);
      },
      async cleanup() {
        await stores.closeAll();
        database.close();
      },
    };
  },
};

/**
 * Runs `text` on a fresh connection to `url` with `schema` first on the search path (in the same
 * simple query, so it holds on servers where connections share one session, like PGlite).
 */
async function postgresSql(
  url: string,
  schema: string,
  text: string,
): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const results: unknown = await client.query(`set search_path to "${schema}"; ${text}`);
    const last = (Array.isArray(results) ? results.at(-1) : results) as pg.QueryResult;
    return last.rows;
  } finally {
    await client.end();
  }
}

/**
 * PostgreSQL: the specs' server (see `postgres-global-setup.ts`), each test in a schema of its
 * own, dropped on cleanup. Raw SQL runs with that schema on the search path.
 */
export const postgres: StoreFactory = {
  name: "Postgres",
  sharedAcrossProcesses: true,
  async create() {
    const { inject } = await import("vitest");
    const connectionString = inject("postgresUrl");
    const schema = `spec_${randomBytes(8).toString("hex")}`;
    const schemas = new Set([schema]);
    const stores = tracked((options) => postgresStorage({ ...options, connectionString, schema }));
    return {
      storage: stores.open(),
      open: stores.open,
      connection: { kind: "postgres", connectionString, schema },
      openInSchema(other, options) {
        const storage = postgresStorage({ ...options, connectionString, schema: other });
        schemas.add(other);
        stores.adopt(storage);
        return storage;
      },
      sql: (text) => postgresSql(connectionString, schema, text),
      async cleanup() {
        await stores.closeAll();
        const drops = [...schemas].map((s) => `drop schema if exists "${s}" cascade;`);
        await postgresSql(connectionString, schema, drops.join(" "));
      },
    };
  },
};

/** Every store the conformance spec covers. */
export const storeFactories: readonly StoreFactory[] = [sqliteFile, sqliteMemory, postgres];
