import { AbortError, BuddyError } from "../errors.js";
import type { PendingWait, WorkflowEvent } from "./run-event.js";
import type { RunResponse } from "./run-response.js";

/**
 * The terminal event of a run that ended before (a start with the `runId` of a stored run): its
 * content and status as stored, and a suspended run's `WorkflowSuspended` with what it waits
 * for. A failed run's stream then rejects with a `BuddyError` carrying its stored message, a
 * cancelled one's with an `AbortError`, as when it ran.
 */
export async function* storedTerminal(
  run: RunResponse,
  waitingFor: readonly PendingWait[] = [],
): AsyncGenerator<WorkflowEvent, void> {
  const ids = { runId: run.runId, sessionId: run.sessionId, workflowId: run.workflowId };
  const createdAt = Date.now();
  const message = run.error ?? `Run "${run.runId}" ended as ${run.status}`;
  switch (run.status) {
    case "completed":
      yield { event: "WorkflowCompleted", ...ids, createdAt, content: run.content, response: run };
      return;
    case "suspended":
      yield {
        event: "WorkflowSuspended",
        ...ids,
        createdAt,
        waitingFor,
        content: run.content,
        response: run,
      };
      return;
    case "cancelled":
      yield { event: "WorkflowCancelled", ...ids, createdAt, reason: message };
      throw new AbortError(message);
    default:
      yield { event: "WorkflowError", ...ids, createdAt, error: message, errorName: "BuddyError" };
      throw new BuddyError(message);
  }
}
