import {
  type DatabaseConnection,
  type Driver,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from "kysely";

/** A first-come, first-served lock; one per database handle. */
class HandleLock {
  #held = false;
  readonly #waiting: (() => void)[] = [];

  async acquire(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next === undefined) this.#held = false;
    else next();
  }
}

const locks = new WeakMap<object, HandleLock>();

/** Kysely's SQLite driver, also taking the lock of its handle while it holds the connection. */
class LockedSqliteDriver extends SqliteDriver {
  readonly #lock: HandleLock;

  constructor(config: SqliteDialectConfig, lock: HandleLock) {
    super(config);
    this.#lock = lock;
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    await this.#lock.acquire();
    try {
      return await super.acquireConnection();
    } catch (error) {
      this.#lock.release();
      throw error;
    }
  }

  override async releaseConnection(): Promise<void> {
    await super.releaseConnection();
    this.#lock.release();
  }
}

/**
 * Kysely's SQLite dialect for a better-sqlite3 handle that several stores may share. Each Kysely
 * instance serialises its own queries (a whole transaction holds the connection), but two of them
 * on one handle would interleave a transaction of one with queries of the other on the same
 * connection; so every driver on `handle` also takes one lock per handle.
 */
export class SharedHandleDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  readonly #lock: HandleLock;

  constructor(config: SqliteDialectConfig, handle: object) {
    super(config);
    this.#config = config;
    let lock = locks.get(handle);
    if (lock === undefined) {
      lock = new HandleLock();
      locks.set(handle, lock);
    }
    this.#lock = lock;
  }

  override createDriver(): Driver {
    return new LockedSqliteDriver(this.#config, this.#lock);
  }
}
