import { type Kysely, sql } from "kysely";
import type { StoreDatabase } from "../kysely/store-tables.js";
import type { DatabaseClock } from "./database-clock.js";

/** Set-ups in progress in this process, by lock key: stores of one process take turns too. */
const inProcess = new Map<string, Promise<void>>();

/**
 * The Postgres store's first-use setup, on one dedicated connection: reads the server's clock,
 * then runs the migration holding a session advisory lock keyed by the schema, so processes
 * starting at once migrate one after the other. Without it, concurrent `create table if not
 * exists` statements for one table can fail with a unique violation on `pg_type` (PostgreSQL
 * checks "if not exists" before inserting the catalog rows, not atomically). The lock is given
 * back when the migration ends, and by the server if the connection dies first. Stores of one
 * process also queue here, which serialises them on servers whose connections share one session
 * (PGlite), where advisory locks do not exclude anyone.
 */
export function lockedSetUp(
  db: Kysely<StoreDatabase>,
  schema: string,
  clock: DatabaseClock,
): (migrate: (db: Kysely<StoreDatabase>) => Promise<void>) => Promise<void> {
  const key = `buddy-ai:migrate:${schema}`;
  const setUp = (migrate: (db: Kysely<StoreDatabase>) => Promise<void>) =>
    db.connection().execute(async (connection) => {
      await clock.sync(connection as Kysely<unknown>);
      // Other processes may be migrating: wait for them (and their table locks) without the
      // store's short lock_timeout, which bounds the waits of runs.
      await sql`set lock_timeout = 0`.execute(connection);
      try {
        await sql`select pg_advisory_lock(hashtext(${key}))`.execute(connection);
        try {
          await migrate(connection);
        } finally {
          await sql`select pg_advisory_unlock(hashtext(${key}))`.execute(connection);
        }
      } finally {
        await sql`reset lock_timeout`.execute(connection);
      }
    });
  return async (migrate) => {
    const turn = (inProcess.get(key) ?? Promise.resolve()).then(() => setUp(migrate));
    const settled = turn.catch(() => {});
    inProcess.set(key, settled);
    try {
      await turn;
    } finally {
      if (inProcess.get(key) === settled) inProcess.delete(key);
    }
  };
}
