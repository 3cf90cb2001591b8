import type { PostgresPool } from "kysely";
import { StorageConfigError } from "../../errors.js";

/** The part of `pg`'s `Pool` the store creates and uses. */
interface PgPool extends PostgresPool {
  on(event: "error", listener: (error: Error) => void): unknown;
}

type PgPoolConstructor = new (config: Record<string, unknown>) => PgPool;

/**
 * A `pg` Pool on `connectionString`, importing `pg` only now (it is an optional peer dependency:
 * SQLite users never install it). Idle connections that die (a database restart) are dropped by
 * the pool; the listener here only keeps their `error` event from crashing the process.
 */
export async function createPgPool(
  connectionString: string,
  limits: { readonly lockTimeoutMs: number; readonly idleInTransactionMs: number },
): Promise<PostgresPool> {
  let Pool: PgPoolConstructor | undefined;
  try {
    const pg = (await import("pg")) as {
      Pool?: PgPoolConstructor;
      default?: { Pool?: PgPoolConstructor };
    };
    Pool = pg.Pool ?? pg.default?.Pool;
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ERR_MODULE_NOT_FOUND") throw error;
    throw new StorageConfigError(
      'postgresStorage needs the "pg" package, which is not installed: run `npm install pg`',
      { cause: error },
    );
  }
  if (Pool === undefined) {
    throw new StorageConfigError(
      'The installed "pg" package has no Pool export; install pg 8 or newer: `npm install pg@8`',
    );
  }
  const pool = new Pool({
    connectionString,
    application_name: "buddy-ai",
    keepAlive: true,
    connectionTimeoutMillis: 10_000,
    // No statement of the store waits on a lock longer than this (a claim then tries again);
    // a transaction left open by a stalled process is ended by the server.
    lock_timeout: Math.max(1, Math.round(limits.lockTimeoutMs)),
    idle_in_transaction_session_timeout: Math.max(1, Math.round(limits.idleInTransactionMs)),
  });
  pool.on("error", () => {});
  return pool;
}
