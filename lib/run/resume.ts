import { InvalidOptionError, RunIdConflictError, RunNotSuspendedError } from "../errors.js";
import type { WorkflowStorage } from "../session/workflow-storage.js";
import { suspendedSpanKey } from "../tracing/run-trace.js";
import type { SessionState, WorkflowLike } from "../workflow/workflow.js";
import type { ExecuteOptions } from "./execute-options.js";
import type { WorkflowEvent } from "./run-event.js";
import { runSettings } from "./run-settings.js";
import { runWorkflow } from "./run-workflow.js";
import { toWorkflow } from "./to-workflow.js";
import { WorkflowStream } from "./workflow-stream.js";

/**
 * Options of {@link resume}: those of `execute`, with `storage` required (the session and the
 * run are the stored run's own).
 *
 * @example
 * ```ts
 * import type { ResumeOptions } from "buddy-ai";
 * import { sqliteStorage } from "buddy-ai/sqlite";
 * const options: ResumeOptions = { storage: sqliteStorage({ dbFile: "tmp/buddy.db" }) };
 * ```
 */
export type ResumeOptions<S extends SessionState = SessionState> = Omit<
  ExecuteOptions<S>,
  "storage" | "sessionId" | "runId"
> & { storage: WorkflowStorage } & (Partial<S> extends S ? unknown : { sessionState: S });

/**
 * Continues run `runId`, suspended at `ctx.waitFor`, with `payloads` answering its waits by
 * name: a cold stream with the rules of `execute`. It replays the run (journaled steps return
 * their results) and goes on from the waits it answers; a wait left unanswered suspends it
 * again. A payload its wait's schema refuses fails the resume with `InputValidationError` and
 * the run stays suspended. Exactly one of two resumes of a run at once proceeds; the other, and
 * a resume of a run that is not suspended, fail with `RunNotSuspendedError`.
 *
 * @example
 * ```ts
 * import { defineWorkflow, resume, run } from "buddy-ai";
 * import { sqliteStorage } from "buddy-ai/sqlite";
 * const storage = sqliteStorage({ dbFile: "tmp/buddy.db" });
 * const ask = defineWorkflow(async function ask(ctx) {
 *   const { approved } = await ctx.waitFor<{ approved: boolean }>("approval", { prompt: "OK?" });
 *   return approved ? "done" : "refused";
 * });
 * const first = await run(ask, undefined, { storage, sessionId: "u1" }); // status "suspended"
 * for await (const event of resume(ask, first.runId, { approval: { approved: true } }, { storage })) {
 *   if (event.event === "WorkflowCompleted") console.log(event.content); // "done"
 * }
 * ```
 */
export function resume<In, S extends SessionState = SessionState>(
  workflow: WorkflowLike<In, S>,
  runId: string,
  payloads: Readonly<Record<string, unknown>>,
  options: ResumeOptions<NoInfer<S>>,
): WorkflowStream {
  const defined = toWorkflow(workflow);
  return new WorkflowStream(() => resumeRun(defined, runId, payloads, options));
}

async function* resumeRun(
  workflow: ReturnType<typeof toWorkflow>,
  runId: string,
  payloads: Readonly<Record<string, unknown>>,
  options: ResumeOptions,
): AsyncGenerator<WorkflowEvent, void, undefined> {
  const { storage } = options;
  if (storage === undefined || typeof storage.getRun !== "function") {
    throw new InvalidOptionError("resume needs { storage }: the store that holds the run");
  }
  if (typeof payloads !== "object" || payloads === null || Array.isArray(payloads)) {
    throw new InvalidOptionError(
      "resume takes the answers as an object by wait name, e.g. { approval: { approved: true } }",
    );
  }
  const stored = await storage.getRun(runId);
  if (stored === undefined || stored.parentRunId !== undefined) {
    throw new RunNotSuspendedError(`There is no stored run "${runId}" to resume`);
  }
  if (stored.workflowId !== workflow.id) {
    throw new RunIdConflictError(
      `Run "${runId}" is a run of workflow "${stored.workflowId}", not of "${workflow.id}"`,
    );
  }
  yield* runWorkflow(workflow, stored.input, {
    ...runSettings({ ...options, sessionName: undefined }),
    sessionId: stored.sessionId,
    runId,
    adopt: true,
    resume: true,
    answers: payloads,
    suspendedSpan: suspendedSpanOf(stored),
  });
}

/** The `traceparent` a traced run kept when it suspended (its resumed span links to it). */
export function suspendedSpanOf(stored: {
  extraData: Record<string, unknown>;
}): string | undefined {
  const traceparent = stored.extraData?.[suspendedSpanKey];
  return typeof traceparent === "string" ? traceparent : undefined;
}
