import { StorageConfigError } from "../../errors.js";
import type { EventTable } from "./event-table.js";
import type { RunTable } from "./run-table.js";
import type { SessionTable } from "./session-table.js";
import type { StepTable } from "./step-table.js";

/** The store's tables as Kysely sees them; the real names come from {@link storeTables}. */
export interface StoreDatabase {
  sessions: SessionTable;
  runs: RunTable;
  steps: StepTable;
  events: EventTable;
}

/**
 * The configured table names. Typed as the {@link StoreDatabase} keys so queries stay typed;
 * columns are therefore never qualified with a table name in the store's queries.
 */
export interface StoreTables {
  readonly sessions: "sessions";
  readonly runs: "runs";
  readonly steps: "steps";
  readonly events: "events";
  readonly migrations: string;
  readonly migrationLock: string;
}

const tableNamePattern = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Validates `tableName` and derives the store's table names from it. */
export function storeTables(tableName: string): StoreTables {
  if (typeof tableName !== "string" || !tableNamePattern.test(tableName)) {
    throw new StorageConfigError(
      `tableName ${JSON.stringify(tableName)} is not a plain SQL identifier; use 1–63 letters, ` +
        `digits and underscores, not starting with a digit (e.g. "buddy_sessions")`,
    );
  }
  return {
    sessions: tableName as "sessions",
    runs: `${tableName}_runs` as "runs",
    steps: `${tableName}_steps` as "steps",
    events: `${tableName}_events` as "events",
    migrations: `${tableName}_migrations`,
    migrationLock: `${tableName}_migrations_lock`,
  };
}
