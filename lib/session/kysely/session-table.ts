import type { ColumnType } from "kysely";

/**
 * An integer column: written as a number, read as whatever the driver returns (better-sqlite3
 * returns numbers; `pg` returns `bigint` columns as strings). Read through {@link toNumber}.
 */
export type IntegerColumn = ColumnType<number | string | bigint, number, number>;

/** A nullable {@link IntegerColumn}. */
export type NullableIntegerColumn = ColumnType<
  number | string | bigint | null,
  number | null,
  number | null
>;

/**
 * One row per session. Value columns (`session_state`, `extra_data`, `workflow_data`) hold
 * superjson text. `version` grows by one on every state save (the save's compare-and-swap);
 * `run_count` grows by one whenever a run claims the session (it numbers the runs). The
 * `lease_*` columns are the cross-process lock: who holds the session, until when (epoch ms),
 * and `lease_run_id` the run that holds it or held it last; each claim moves that run id to
 * `previous_run_id`, so the claim tells whether that run is still `running` (it died) and
 * whether another run came between two runs of one store.
 */
export interface SessionTable {
  session_id: string;
  workflow_id: string;
  user_id: string | null;
  session_name: string | null;
  session_state: string;
  extra_data: string;
  workflow_data: string;
  version: IntegerColumn;
  run_count: IntegerColumn;
  lease_owner: string | null;
  lease_run_id: string | null;
  lease_expires_at: NullableIntegerColumn;
  previous_run_id: string | null;
  created_at: IntegerColumn;
  updated_at: IntegerColumn;
}

/** Reads an {@link IntegerColumn} value as a number. */
export function toNumber(value: number | string | bigint): number {
  return typeof value === "number" ? value : Number(value);
}
