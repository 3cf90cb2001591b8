import type { Selectable } from "kysely";
import { SessionDecodeError } from "../../errors.js";
import { decodeStoredValue, encodeStoredValue } from "../state-codec.js";
import type { StepRecord, StepWrite } from "../step-record.js";
import { toNumber } from "./session-table.js";
import type { StepParams } from "./step-queries.js";
import type { StepTable } from "./step-table.js";

/** The top-level run of `runId`: child run ids are their parent's id, `/`, and a number. */
export function rootRunId(runId: string): string {
  const slash = runId.indexOf("/");
  return slash < 0 ? runId : runId.slice(0, slash);
}

/**
 * The journal insert's parameters for `step` of the run holding session `id` as `owner`; its
 * output encoded (`UnstorableValueError` naming the step when it cannot be).
 */
export function stepParams(step: StepWrite, id: string, owner: string): StepParams {
  return {
    rootRunId: rootRunId(step.runId),
    runId: step.runId,
    seq: step.seq,
    name: step.name,
    kind: step.kind,
    status: step.status,
    output: step.status === "completed" ? encodeOutput(step) : null,
    error: step.error === undefined ? null : JSON.stringify(step.error),
    startedAt: step.startedAt,
    endedAt: step.endedAt,
    id,
    owner,
  };
}

/** A step's result as stored text; strings, booleans and finite numbers need no walk. */
function encodeOutput(step: StepWrite): string {
  const { output } = step;
  if (
    typeof output === "string" ||
    typeof output === "boolean" ||
    (typeof output === "number" && Number.isFinite(output) && !Object.is(output, -0))
  ) {
    return `{"json":${JSON.stringify(output)}}`;
  }
  return encodeStoredValue(output, `step #${step.seq} "${step.name}" (its result)`);
}

/** A step row back as a {@link StepRecord}; `SessionDecodeError` when it cannot be read. */
export function decodeStep(row: Selectable<StepTable>, sessionId = "?"): StepRecord {
  const where = `step #${row.seq} of run "${row.run_id}"`;
  try {
    const base = {
      seq: toNumber(row.seq),
      name: row.name,
      kind: row.kind,
      status: row.status,
      startedAt: toNumber(row.started_at),
      endedAt: toNumber(row.ended_at),
    };
    if (row.status === "completed") {
      return { ...base, output: row.output === null ? undefined : decodeStoredValue(row.output) };
    }
    const error = JSON.parse(row.error ?? "{}") as { name?: unknown; message?: unknown };
    return {
      ...base,
      error: { name: String(error.name ?? "Error"), message: String(error.message ?? "") },
    };
  } catch (error) {
    throw new SessionDecodeError(sessionId, where, { cause: error });
  }
}
