import { SessionDecodeError } from "../../errors.js";
import { decodeStoredValue } from "../state-codec.js";
import type { WorkflowSession } from "../workflow-session.js";
import type { SessionRow } from "./run-ledger.js";
import { toNumber } from "./session-table.js";

/** Turns a session row into a {@link WorkflowSession}; `SessionDecodeError` when it cannot. */
export function decodeSession(row: SessionRow): WorkflowSession {
  const sessionState = decodeRecord(row, "session_state", row.session_state);
  const extraData = decodeRecord(row, "extra_data", row.extra_data);
  const workflowData = decodedWorkflowData(row);
  return {
    sessionId: row.session_id,
    workflowId: row.workflow_id,
    userId: row.user_id ?? undefined,
    sessionName: row.session_name ?? undefined,
    sessionState,
    extraData,
    workflowData: {
      name: workflowData.name ?? row.workflow_id,
      description: workflowData.description,
    },
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
  };
}

/** The names and descriptions of a store's workflows, by their stored text: a few, read every run. */
const workflowDataCache = new Map<string, { name?: string; description?: string }>();

function decodedWorkflowData(row: SessionRow): { name?: string; description?: string } {
  const text = row.workflow_data;
  let known = workflowDataCache.get(text);
  if (known === undefined) {
    const data = decodeRecord(row, "workflow_data", text);
    known = {
      name: typeof data.name === "string" ? data.name : undefined,
      description: typeof data.description === "string" ? data.description : undefined,
    };
    if (workflowDataCache.size >= 256) workflowDataCache.clear();
    workflowDataCache.set(text, known);
  }
  return known;
}

function decodeRecord(row: SessionRow, column: string, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = decodeStoredValue(text);
  } catch (error) {
    throw new SessionDecodeError(row.session_id, `its ${column} column`, { cause: error });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SessionDecodeError(row.session_id, `its ${column} column (not an object)`);
  }
  return value as Record<string, unknown>;
}
