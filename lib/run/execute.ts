import type {
  ContentOf,
  SessionState,
  Workflow,
  WorkflowLike,
  WorkflowResult,
} from "../workflow/workflow.js";
import type { WorkflowContext } from "../workflow/workflow-context.js";
import { drainToResponse } from "./drain.js";
import type { ExecuteOptions, RunOptionsArgs } from "./execute-options.js";
import type { RunResponse } from "./run-response.js";
import { runSettings } from "./run-settings.js";
import { runWorkflow } from "./run-workflow.js";
import { toWorkflow } from "./to-workflow.js";
import { WorkflowStream } from "./workflow-stream.js";

/**
 * Runs a workflow as a cold stream of events. Nothing runs, and nothing is read or written,
 * until the stream is iterated; each iteration is one run. The first event is
 * `WorkflowStarted`; the last is exactly one of `WorkflowCompleted`, `WorkflowError` (then the
 * iteration rejects with the workflow's error) or `WorkflowCancelled` (then it rejects with an
 * `AbortError` when the signal aborted). Breaking out of the loop cancels the run.
 *
 * @example
 * ```ts
 * import { defineWorkflow, execute } from "buddy-ai";
 * const story = defineWorkflow(async function* story(_ctx, topic: string) {
 *   yield `Once upon a time, ${topic}`;
 *   yield " lived happily ever after.";
 * });
 * for await (const event of execute(story, "a robot")) {
 *   if (event.event === "RunResponseContent") process.stdout.write(String(event.content));
 *   if (event.event === "WorkflowCompleted") console.log("\n", event.response.status);
 * }
 * ```
 */
export function execute<In, S extends SessionState = SessionState>(
  workflow: WorkflowLike<In, S>,
  input: NoInfer<In>,
  ...[options = {}]: RunOptionsArgs<NoInfer<S>>
): WorkflowStream {
  const defined = toWorkflow(workflow);
  const settings = runSettings(options as ExecuteOptions);
  return new WorkflowStream(() => runWorkflow(defined, input, settings));
}

/**
 * Runs a workflow to its end and resolves its final `RunResponse` (status `completed`). Rejects
 * with the workflow's error, or with an `AbortError` when `signal` aborts.
 *
 * @example
 * ```ts
 * import { RunResponse, defineWorkflow, run } from "buddy-ai";
 * const greet = defineWorkflow(async function greet(_ctx, name: string) {
 *   return new RunResponse({ content: `Hello, ${name}!` });
 * });
 * const response = await run(greet, "Ada");
 * console.log(response.content); // "Hello, Ada!"
 * ```
 */
export function run<In, Out, S extends SessionState = SessionState, C = unknown>(
  workflow: Workflow<In, Out, S, C>,
  input: NoInfer<In>,
  ...options: RunOptionsArgs<NoInfer<S>>
): Promise<RunResponse<C>>;
export function run<
  In,
  S extends SessionState = SessionState,
  R extends WorkflowResult = WorkflowResult,
>(
  workflow: (ctx: WorkflowContext<S>, input: In) => R,
  input: NoInfer<In>,
  ...options: RunOptionsArgs<NoInfer<S>>
): Promise<RunResponse<ContentOf<R>>>;
export function run<In, S extends SessionState = SessionState>(
  workflow: WorkflowLike<In, S>,
  input: NoInfer<In>,
  ...options: RunOptionsArgs<NoInfer<S>>
): Promise<RunResponse>;
export function run(
  workflow: WorkflowLike,
  input: unknown,
  options: ExecuteOptions = {},
): Promise<RunResponse> {
  return drainToResponse(execute(workflow, input, options));
}
