import { toJson } from "../run/event-json.js";
import type { PendingWait } from "../run/run-event.js";
import type { RunResponse } from "../run/run-response.js";
import type { StoredEvent } from "../session/stored-event.js";
import type { WorkflowStorage } from "../session/workflow-storage.js";
import type { SseFrame } from "./sse.js";

const terminalNames = new Set([
  "WorkflowCompleted",
  "WorkflowError",
  "WorkflowCancelled",
  "WorkflowSuspended",
]);

/** True for a stored event that ends its top-level run's stream. */
function isStoredEnding(event: StoredEvent): boolean {
  if (!terminalNames.has(event.event)) return false;
  return (JSON.parse(event.data) as { parentRunId?: string }).parentRunId === undefined;
}

/**
 * The events of run `runId` from the store's log after `after`, then live as the log grows
 * (polled every `pollMs`) until the run's terminal event, from whichever process produces it.
 * A run that ended without logging its terminal event (it did not keep a log, or its process
 * died before it could) ends the stream with a terminal event made from its stored row, with
 * no `id`. Stops when `signal` aborts.
 */
export async function* followLog(
  storage: WorkflowStorage,
  runId: string,
  after: number,
  pollMs: number,
  signal: AbortSignal,
): AsyncGenerator<SseFrame> {
  const listEvents = storage.listEvents?.bind(storage);
  let last = after;
  let quiet = 0;
  while (!signal.aborted) {
    const events = listEvents === undefined ? [] : await listEvents(runId, { after: last });
    let ended = false;
    for (const event of events) {
      last = event.seq;
      ended ||= isStoredEnding(event);
      yield { id: event.seq, event: event.event, data: event.data };
    }
    if (ended) {
      // A suspended run ends this stream; once resumed, its log goes on (connect again).
      return;
    }
    if (events.length > 0) {
      quiet = 0;
      continue;
    }
    // Nothing new: every few polls, ask whether the run still runs.
    if (++quiet % 5 === 0) {
      const run = await storage.getRun(runId);
      if (run === undefined || run.status !== "running") {
        const rest = listEvents === undefined ? [] : await listEvents(runId, { after: last });
        for (const event of rest) yield { id: event.seq, event: event.event, data: event.data };
        if (run !== undefined && !rest.some(isStoredEnding)) {
          const waits =
            run.status === "suspended"
              ? (await storage.listSuspendedRuns({ sessionId: run.sessionId })).find(
                  (s) => s.run.runId === runId,
                )?.waitingFor
              : undefined;
          yield storedEnding(run, waits ?? []);
        }
        return;
      }
    }
    await sleep(pollMs, signal);
  }
}

/** The terminal event a stored, ended run would have streamed. */
function storedEnding(run: RunResponse, waitingFor: readonly PendingWait[]): SseFrame {
  const { runId, sessionId, workflowId } = run;
  const base = { runId, sessionId, workflowId, createdAt: Date.now() };
  const message = run.error ?? `Run "${runId}" ended as ${run.status}`;
  switch (run.status) {
    case "completed":
      return frame({ event: "WorkflowCompleted", ...base, content: run.content, response: run });
    case "suspended":
      return frame({
        event: "WorkflowSuspended",
        ...base,
        waitingFor,
        content: run.content,
        response: run,
      });
    case "cancelled":
      return frame({ event: "WorkflowCancelled", ...base, reason: message });
    default:
      return frame({ event: "WorkflowError", ...base, error: message, errorName: "BuddyError" });
  }
}

function frame(event: { event: string } & Record<string, unknown>): SseFrame {
  return { event: event.event, data: toJson(event) };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
