import { RunNotRunningError, RunNotSuspendedError } from "../errors.js";
import type { WorkflowStorage } from "../session/workflow-storage.js";
import type { Workflow, WorkflowFn, WorkflowLike } from "../workflow/workflow.js";
import { drainToResponse } from "./drain.js";
import type { Logger } from "./logger.js";
import { suspendedSpanOf } from "./resume.js";
import type { RunResponse } from "./run-response.js";
import { runSettings } from "./run-settings.js";
import { runWorkflow } from "./run-workflow.js";
import { toWorkflow } from "./to-workflow.js";
import { WorkflowStream } from "./workflow-stream.js";

/**
 * Options of {@link recoverRuns}.
 *
 * @example
 * ```ts
 * import type { RecoverRunsOptions } from "buddy-ai";
 * import { sqliteStorage } from "buddy-ai/sqlite";
 * const options: RecoverRunsOptions = { storage: sqliteStorage({ dbFile: "tmp/buddy.db" }), workflows: [] };
 * ```
 */
export interface RecoverRunsOptions {
  readonly storage: WorkflowStorage;
  /** The workflows whose interrupted runs to finish (matched by `workflow.id`). */
  readonly workflows: readonly (Workflow | WorkflowFn<never, never>)[];
  /** Stops recovering (the run in progress is cancelled). */
  readonly signal?: AbortSignal;
  /** Receives warnings of the recovered runs. Default `console`. */
  readonly logger?: Logger;
}

/**
 * Finishes, by replay, every stored run of `workflows` that is still `running` while no live
 * process holds its session (its process died): each is continued from the top with its
 * stored input, its journaled steps returning their recorded results, and stored as it ends.
 * Resolves the final responses, in the order the runs started (a run that fails again is
 * there with status `error`). Suspended runs whose wait timed out (`waitFor`'s `timeoutMs`) are
 * continued too: the wait fails with `WaitTimeoutError`. Safe to call from many processes at
 * once: each run is continued by one of them. Call it when a process starts (and, for wait
 * timeouts, now and then).
 *
 * @example
 * ```ts
 * import { defineWorkflow, recoverRuns } from "buddy-ai";
 * import { sqliteStorage } from "buddy-ai/sqlite";
 * const storage = sqliteStorage({ dbFile: "tmp/buddy.db" });
 * const refund = defineWorkflow({
 *   name: "refund",
 *   run: async (ctx, orderId: string) => ctx.step("pay", async () => `refunded ${orderId}`),
 * });
 * const finished = await recoverRuns({ storage, workflows: [refund] });
 * console.log(`${finished.length} interrupted runs finished`);
 * ```
 */
export async function recoverRuns(options: RecoverRunsOptions): Promise<RunResponse[]> {
  const { storage, signal } = options;
  const workflows = new Map<string, Workflow>();
  for (const given of options.workflows) {
    const workflow = toWorkflow(given as WorkflowLike<never, never>);
    workflows.set(workflow.id, workflow);
  }
  const interrupted = await storage.listInterruptedRuns([...workflows.keys()]);
  const finished: RunResponse[] = [];
  for (const stored of interrupted) {
    signal?.throwIfAborted();
    const workflow = workflows.get(stored.workflowId);
    if (workflow === undefined) continue;
    const settings = {
      ...runSettings({ storage, signal, logger: options.logger }),
      sessionId: stored.sessionId,
      runId: stored.runId,
      adopt: true,
      recovery: true,
      // A suspended run whose wait timed out: continued with no answers.
      ...(stored.status === "suspended"
        ? { resume: true, answers: {}, suspendedSpan: suspendedSpanOf(stored) }
        : {}),
    };
    try {
      const stream = new WorkflowStream(() => runWorkflow(workflow, stored.input, settings));
      finished.push(await drainToResponse(stream));
    } catch (error) {
      // Another process continued it first.
      if (error instanceof RunNotRunningError || error instanceof RunNotSuspendedError) continue;
      const after = await storage.getRun(stored.runId);
      if (after !== undefined && after.status !== "running") finished.push(after);
      else throw error;
    }
  }
  return finished;
}
