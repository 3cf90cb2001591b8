import type { ColumnType } from "kysely";
import type { RunStatus } from "../../run/run-response.js";
import type { IntegerColumn } from "./session-table.js";

/**
 * One row per run, child runs included. Runs are ordered by `seq` (the session's `run_count`
 * when the top-level run claimed it; child runs share their parent's) and then `position` (0 for
 * the top-level run, 1… for its children in the order they ended). Value columns hold superjson
 * text. Rows are written once when the run starts and once when it ends; earlier runs are never
 * rewritten.
 */
export interface RunTable {
  run_id: string;
  session_id: string;
  parent_run_id: string | null;
  workflow_id: string;
  seq: IntegerColumn;
  position: IntegerColumn;
  status: RunStatus;
  content_type: string;
  input: string;
  content: string;
  metrics: string;
  messages: string;
  extra_data: string;
  error: string | null;
  created_at: IntegerColumn;
  updated_at: IntegerColumn;
  recoveries: ColumnType<number | string | bigint, number | undefined, number>;
  waiting_for: ColumnType<string | null, string | null | undefined, string | null>;
  wake_at: ColumnType<number | string | bigint | null, number | null | undefined, number | null>;
  /** The `seq` of the run's last event when it was last saved. */
  event_seq: ColumnType<number | string | bigint | null, number | null | undefined, number | null>;
  /** When a cancel was asked for the running run (epoch ms). */
  cancel_requested_at: ColumnType<
    number | string | bigint | null,
    number | null | undefined,
    number | null
  >;
}
