import type { SessionState, WorkflowLike } from "../workflow/workflow.js";
import { drainToResponse } from "./drain.js";
import type { ExecuteOptions, RunOptionsArgs } from "./execute-options.js";
import type { RunResponse } from "./run-response.js";
import { runSettings } from "./run-settings.js";
import { runWorkflow } from "./run-workflow.js";
import { toWorkflow } from "./to-workflow.js";
import { WorkflowStream } from "./workflow-stream.js";

/**
 * A workflow bound to default options (see {@link bindWorkflow}): call it like a configured
 * instance, `bound.run(input)`, passing only what changes per call.
 *
 * @example
 * ```ts
 * import { bindWorkflow, type BoundWorkflow } from "buddy-ai";
 * const greet: BoundWorkflow<string> = bindWorkflow(async (_ctx, name: string) => `Hi ${name}`, {});
 * console.log((await greet.run("Ada")).content);
 * ```
 */
export interface BoundWorkflow<In, S extends SessionState = SessionState> {
  /** The workflow itself. */
  readonly workflow: WorkflowLike<In, S>;
  /** The bound options every call starts from. */
  readonly options: Readonly<ExecuteOptions<S>>;
  /** `run(workflow, input, { ...options, ...overrides })`. */
  run(input: In, overrides?: ExecuteOptions<S>): Promise<RunResponse>;
  /** `execute(workflow, input, { ...options, ...overrides })`. */
  execute(input: In, overrides?: ExecuteOptions<S>): WorkflowStream;
}

/**
 * Binds a workflow to default options — storage, session id, state defaults, logger, … — the
 * way the Python original configures a workflow instance once and then calls `workflow.run(…)`.
 * Each call's options override the bound ones key by key (`sessionState` as a whole). A state
 * type with required keys needs its defaults here, as `run` does.
 *
 * @example
 * ```ts
 * import { bindWorkflow, defineWorkflow, type WorkflowContext } from "buddy-ai";
 * import { sqliteStorage } from "buddy-ai/sqlite";
 * const article = defineWorkflow(async function article(
 *   ctx: WorkflowContext<{ tone: string }>,
 *   topic: string,
 * ) {
 *   return `A ${ctx.sessionState.tone} article about ${topic}`;
 * });
 * const workflow = bindWorkflow(article, {
 *   sessionId: "user-42",
 *   sessionState: { tone: "concise" },
 *   storage: sqliteStorage({ dbFile: "tmp/wf.db", tableName: "workflows" }),
 * });
 * console.log((await workflow.run("tides")).content); // picks up where "user-42" left off
 * await workflow.run("moons", { sessionId: "user-7" }); // another session, same defaults
 * ```
 */
export function bindWorkflow<In, S extends SessionState = SessionState>(
  workflow: WorkflowLike<In, S>,
  ...[options = {}]: RunOptionsArgs<NoInfer<S>>
): BoundWorkflow<In, S> {
  const bound: Readonly<ExecuteOptions<S>> = Object.freeze({ ...(options as ExecuteOptions<S>) });
  const defined = toWorkflow(workflow);
  const stream = (input: In, overrides: ExecuteOptions<S> | undefined) => {
    const settings = runSettings(overrides === undefined ? bound : { ...bound, ...overrides });
    return new WorkflowStream(() => runWorkflow(defined, input, settings));
  };
  return Object.freeze({
    workflow,
    options: bound,
    run: (input: In, overrides?: ExecuteOptions<S>) => drainToResponse(stream(input, overrides)),
    execute: (input: In, overrides?: ExecuteOptions<S>) => stream(input, overrides),
  });
}
