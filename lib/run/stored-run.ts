import { RunIdConflictError, SessionBusyError } from "../errors.js";
import type { WorkflowStorage } from "../session/workflow-storage.js";
import type { Workflow } from "../workflow/workflow.js";
import type { PendingWait } from "./run-event.js";
import type { RunResponse } from "./run-response.js";

/** How long a start waits for a run of the same id that is in flight elsewhere. */
const waitForRunMs = 30_000;

/**
 * The stored run a start with an explicit `runId` stands for: undefined when there is none (the
 * run starts), the finished run when there is one (it is not executed again), after waiting
 * for one that is in flight. A run of another workflow under that id is refused with
 * `RunIdConflictError`.
 */
export async function storedRun(
  storage: WorkflowStorage,
  workflow: Workflow,
  runId: string,
  signal: AbortSignal | undefined,
): Promise<RunResponse | undefined> {
  const deadline = Date.now() + waitForRunMs;
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    const stored = await storage.getRun(runId);
    if (stored === undefined) return undefined;
    if (stored.workflowId !== workflow.id) {
      throw new RunIdConflictError(
        `Run "${runId}" is a run of workflow "${stored.workflowId}", not of "${workflow.id}": ` +
          "a run id stands for one run. Use another runId.",
      );
    }
    if (stored.status !== "running") return stored;
    if (Date.now() >= deadline) {
      throw new SessionBusyError(
        `Run "${runId}" is still running elsewhere after ${waitForRunMs} ms; it is not started ` +
          "twice. Ask again later for its outcome.",
      );
    }
    signal?.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/** What a stored run waits for: its pending waits when it is suspended, else none. */
export async function storedWaits(
  storage: WorkflowStorage,
  run: RunResponse,
): Promise<readonly PendingWait[]> {
  if (run.status !== "suspended") return [];
  const suspended = await storage.listSuspendedRuns({ sessionId: run.sessionId });
  return suspended.find((s) => s.run.runId === run.runId)?.waitingFor ?? [];
}
