import type { ColumnType, Selectable } from "kysely";

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

/** The columns of a session row, in the order {@link sessionRowOf} reads them. */
export const sessionColumns = [
  "session_id",
  "workflow_id",
  "user_id",
  "session_name",
  "session_state",
  "extra_data",
  "workflow_data",
  "version",
  "run_count",
  "lease_owner",
  "lease_run_id",
  "lease_expires_at",
  "previous_run_id",
  "created_at",
  "updated_at",
] as const satisfies readonly (keyof SessionTable)[];

/**
 * A session row read as an array of {@link sessionColumns}' values (a driver makes an array far
 * faster than an object, column by column).
 */
export function sessionRowOf(values: readonly unknown[]): Selectable<SessionTable> {
  const v = values;
  return {
    session_id: v[0],
    workflow_id: v[1],
    user_id: v[2],
    session_name: v[3],
    session_state: v[4],
    extra_data: v[5],
    workflow_data: v[6],
    version: v[7],
    run_count: v[8],
    lease_owner: v[9],
    lease_run_id: v[10],
    lease_expires_at: v[11],
    previous_run_id: v[12],
    created_at: v[13],
    updated_at: v[14],
  } as Selectable<SessionTable>;
}

/** Reads an {@link IntegerColumn} value as a number. */
export function toNumber(value: number | string | bigint): number {
  return typeof value === "number" ? value : Number(value);
}
