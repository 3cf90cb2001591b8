import {
  type ColumnDefinitionBuilderCallback,
  type Kysely,
  type Migration,
  Migrator,
  sql,
} from "kysely";
import { BuddyError, StorageConfigError, StorageUnavailableError } from "../../errors.js";
import type { StoreDatabase, StoreTables } from "./store-tables.js";

/** Column types that differ between databases. */
export interface StoreColumnTypes {
  /** Type of the superjson value columns. Default `"text"`; `"json"` keeps the text verbatim. */
  readonly value: "text" | "json";
  /** Type of integer columns (timestamps in epoch ms, counters). Default `"bigint"`. */
  readonly integer: "bigint" | "integer";
  /**
   * SQLite: keep tables with a composite primary key in that key's b-tree alone (`without
   * rowid`), so a row costs one page write instead of two. Default true; Postgres has no such
   * tables.
   */
  readonly withoutRowid: boolean;
}

/** The default column types; `bigint` has integer affinity in SQLite and is 64-bit in Postgres. */
export const defaultColumnTypes: StoreColumnTypes = {
  value: "text",
  integer: "bigint",
  withoutRowid: true,
};

// Every step is idempotent (`if not exists`), so two processes racing to migrate one database
// both end up with the same schema; the loser's bookkeeping insert fails and its retry finds the
// migration done.
function migrations(t: StoreTables, types: StoreColumnTypes): Record<string, Migration> {
  return {
    "0001_sessions_and_runs": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable(t.sessions)
          .ifNotExists()
          .addColumn("session_id", "text", (c) => c.primaryKey())
          .addColumn("workflow_id", "text", (c) => c.notNull())
          .addColumn("user_id", "text")
          .addColumn("session_name", "text")
          .addColumn("session_state", types.value, (c) => c.notNull())
          .addColumn("extra_data", types.value, (c) => c.notNull())
          .addColumn("workflow_data", types.value, (c) => c.notNull())
          .addColumn("version", types.integer, (c) => c.notNull().defaultTo(0))
          .addColumn("run_count", types.integer, (c) => c.notNull().defaultTo(0))
          .addColumn("lease_owner", "text")
          .addColumn("lease_run_id", "text")
          .addColumn("lease_expires_at", types.integer)
          .addColumn("created_at", types.integer, (c) => c.notNull())
          .addColumn("updated_at", types.integer, (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex(`${t.sessions}_updated_at_idx`)
          .ifNotExists()
          .on(t.sessions)
          .column("updated_at")
          .execute();
        await db.schema
          .createTable(t.runs)
          .ifNotExists()
          .addColumn("run_id", "text", (c) => c.primaryKey())
          .addColumn("session_id", "text", (c) => c.notNull())
          .addColumn("parent_run_id", "text")
          .addColumn("workflow_id", "text", (c) => c.notNull())
          .addColumn("seq", types.integer, (c) => c.notNull())
          .addColumn("position", types.integer, (c) => c.notNull())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("content_type", "text", (c) => c.notNull())
          .addColumn("input", types.value, (c) => c.notNull())
          .addColumn("content", types.value, (c) => c.notNull())
          .addColumn("metrics", types.value, (c) => c.notNull())
          .addColumn("messages", types.value, (c) => c.notNull())
          .addColumn("extra_data", types.value, (c) => c.notNull())
          .addColumn("error", "text")
          .addColumn("created_at", types.integer, (c) => c.notNull())
          .addColumn("updated_at", types.integer, (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex(`${t.runs}_session_idx`)
          .ifNotExists()
          .on(t.runs)
          .columns(["session_id", "seq", "position"])
          .execute();
      },
    },
    // The run that held the lease before the current claim: a claim ends it when it is still
    // running (its process died), and a store knows from it whether another run came between
    // two of its own (see HistoryCache).
    "0002_previous_run_id": {
      async up(db: Kysely<unknown>) {
        await addColumn(db, t.sessions, "previous_run_id", "text");
      },
    },
    // The journal of durable runs: one row per step (`ctx.step`), by run id and position.
    "0003_steps": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable(t.steps)
          .ifNotExists()
          .addColumn("root_run_id", "text", (c) => c.notNull())
          .addColumn("run_id", "text", (c) => c.notNull())
          .addColumn("seq", types.integer, (c) => c.notNull())
          .addColumn("name", "text", (c) => c.notNull())
          .addColumn("kind", "text", (c) => c.notNull())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("output", types.value)
          .addColumn("error", "text")
          .addColumn("started_at", types.integer, (c) => c.notNull())
          .addColumn("ended_at", types.integer, (c) => c.notNull())
          .addPrimaryKeyConstraint(`${t.steps}_pkey`, ["root_run_id", "run_id", "seq"])
          .$call((table) => (types.withoutRowid ? table.modifyEnd(sql`without rowid`) : table))
          .execute();
        // How many times a run was continued after its process died (bounded: see recoverRuns).
        await addColumn(db, t.runs, "recoveries", types.integer, (c) => c.notNull().defaultTo(0));
        // What a suspended run waits for (superjson text), for listing pending approvals.
        await addColumn(db, t.runs, "waiting_for", "text");
        // When the first of a suspended run's waits times out (epoch ms; recoverRuns wakes it).
        await addColumn(db, t.runs, "wake_at", types.integer);
      },
    },
    "0004_event_log": {
      async up(db: Kysely<unknown>) {
        // The events of runs that keep a log (runs served over HTTP): one row per batch, keyed by
        // the top-level run and the `seq` of the batch's last event.
        await db.schema
          .createTable(t.events)
          .ifNotExists()
          .addColumn("root_run_id", "text", (c) => c.notNull())
          .addColumn("seq", types.integer, (c) => c.notNull())
          .addColumn("data", "text", (c) => c.notNull())
          .addColumn("created_at", types.integer, (c) => c.notNull())
          .addPrimaryKeyConstraint(`${t.events}_pkey`, ["root_run_id", "seq"])
          .$call((table) => (types.withoutRowid ? table.modifyEnd(sql`without rowid`) : table))
          .execute();
        // The `seq` of a run's last event when it was last saved: a resumed run counts on.
        await addColumn(db, t.runs, "event_seq", types.integer);
        // When someone asked to cancel the running run (epoch ms): its producer aborts it.
        await addColumn(db, t.runs, "cancel_requested_at", types.integer);
      },
    },
  };
}

/**
 * Adds `column` to `table`. When that fails because another process migrating at the same moment
 * added it already, that is fine; any other failure is thrown.
 */
async function addColumn(
  db: Kysely<unknown>,
  table: string,
  column: string,
  type: "text" | StoreColumnTypes["integer"],
  build?: ColumnDefinitionBuilderCallback,
): Promise<void> {
  try {
    await db.schema.alterTable(table).addColumn(column, type, build).execute();
  } catch (error) {
    const probe = sql`select ${sql.ref(column)} from ${sql.table(table)} where 1 = 0`;
    await probe.execute(db).catch(() => Promise.reject(error));
  }
}

/**
 * Creates or migrates the store's tables to the latest schema with Kysely's `Migrator`, keeping
 * its bookkeeping in `<tableName>_migrations` (in `schema` when given, which the Migrator creates
 * if missing). Retries a few times, since another process may be migrating the same database at
 * the same moment.
 */
export async function migrateStore(
  db: Kysely<StoreDatabase>,
  tables: StoreTables,
  types: StoreColumnTypes = defaultColumnTypes,
  schema?: string,
): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations(tables, types) },
    migrationTableName: tables.migrations,
    migrationLockTableName: tables.migrationLock,
    migrationTableSchema: schema,
  });
  let failure: unknown;
  for (let attempt = 1; attempt <= 5; attempt++) {
    const { error } = await migrator.migrateToLatest();
    if (error === undefined) return;
    failure = error;
    await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
  }
  // The database's own trouble (unreachable, full, not a database…) is already named.
  if (failure instanceof StorageUnavailableError || failure instanceof StorageConfigError) {
    throw failure;
  }
  const reason = failure instanceof Error ? failure.message : String(failure);
  throw new BuddyError(
    `Could not create or migrate the session tables "${tables.sessions}" and "${tables.runs}": ` +
      `${reason}. Check that the database is writable and that tableName is not used by ` +
      `something else.`,
    { cause: failure },
  );
}
