import type { IntegerColumn } from "./session-table.js";

/** One batch of logged events of a top-level run (see `OpenRunRequest.eventLog`). */
export interface EventTable {
  root_run_id: string;
  /** The `seq` of the batch's last event. */
  seq: IntegerColumn;
  /** The batch, packed (see `packEvents`). */
  data: string;
  created_at: IntegerColumn;
}
