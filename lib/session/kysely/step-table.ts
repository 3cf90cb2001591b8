import type { IntegerColumn } from "./session-table.js";

/**
 * One row per journaled step of a run (`ctx.step`), keyed by the top-level run it belongs to,
 * its own run (a child run's id is derived from its parent's), and the step's position in that
 * run. `output` holds the step's result as superjson text; a failed step keeps its error's name
 * and message in `error` (JSON text) instead.
 */
export interface StepTable {
  root_run_id: string;
  run_id: string;
  seq: IntegerColumn;
  name: string;
  kind: string;
  status: "completed" | "error";
  output: string | null;
  error: string | null;
  started_at: IntegerColumn;
  ended_at: IntegerColumn;
}
