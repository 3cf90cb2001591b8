import type { WorkflowEvent } from "./run-event.js";
import type { RunResponse } from "./run-response.js";

/** Iterates a run's events to the end; resolves its final response (rejects as the run does). */
export async function drainToResponse(events: AsyncIterable<WorkflowEvent>): Promise<RunResponse> {
  let runId: string | undefined;
  let response: RunResponse | undefined;
  for await (const event of events) {
    runId ??= event.runId; // the first event is the run's own WorkflowStarted
    if (event.runId !== runId) continue;
    if (event.event === "WorkflowCompleted" || event.event === "WorkflowSuspended") {
      response = event.response;
    }
  }
  if (response === undefined) throw new Error("The run ended without a WorkflowCompleted event");
  return response;
}
