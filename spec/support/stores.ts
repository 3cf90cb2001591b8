import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { WorkflowStorage } from "buddy-ai";
import { type StorageOptions, sqliteStorage } from "buddy-ai/sqlite";

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
}

/** A kind of store the conformance spec runs against. */
export interface StoreFactory {
  readonly name: string;
  create(): Promise<StoreHandle>;
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
  async create() {
    const dir = await mkdtemp(join(tmpdir(), "buddy-store-"));
    const dbFile = join(dir, "nested", "dir", "buddy.db");
    const stores = tracked((options) => sqliteStorage({ ...options, dbFile }));
    const storage = stores.open();
    let raw: Database.Database | undefined;
    return {
      storage,
      open: stores.open,
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

/** Every store the conformance spec covers; a Postgres factory joins this list. */
export const storeFactories: readonly StoreFactory[] = [sqliteFile, sqliteMemory];
