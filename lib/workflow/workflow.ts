import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { WorkflowEvent } from "../run/run-event.js";
import type { RunResponse } from "../run/run-response.js";
import type { WorkflowContext } from "./workflow-context.js";

/**
 * Session state: a plain object of storable values.
 *
 * @example
 * ```ts
 * import type { SessionState } from "buddy-ai";
 * const state: SessionState = { visits: 3, seen: new Set(["a"]), since: new Date() };
 * ```
 */
export type SessionState = Record<string, unknown>;

/**
 * What a streaming workflow yields: content (strings, `RunResponse`s) and events.
 *
 * @example
 * ```ts
 * import { RunResponse, type WorkflowItem, workflowCompleted } from "buddy-ai";
 * const items: WorkflowItem[] = ["a delta", new RunResponse({ content: "more" }), workflowCompleted()];
 * ```
 */
export type WorkflowItem = string | RunResponse | WorkflowEvent;

/**
 * What a workflow may return: one of the four return styles (a string or nothing counts too).
 *
 * @example
 * ```ts
 * import { RunResponse, type WorkflowResult } from "buddy-ai";
 * const plain = (): WorkflowResult => new RunResponse({ content: "done" });
 * const streamed = (): WorkflowResult => (function* () { yield "a"; yield "b"; })();
 * ```
 */
export type WorkflowResult =
  | RunResponse
  | string
  | void
  // biome-ignore lint/suspicious/noConfusingVoidType: admits async functions with no return statement.
  | PromiseLike<RunResponse | string | void>
  | Iterable<WorkflowItem>
  | AsyncIterable<WorkflowItem>;

/**
 * A workflow function: plain code that calls agents and other workflows.
 *
 * @example
 * ```ts
 * import type { WorkflowFn } from "buddy-ai";
 * const shout: WorkflowFn<string> = async function* (_ctx, text) { yield text.toUpperCase(); };
 * ```
 */
export type WorkflowFn<I = unknown, S extends SessionState = SessionState> = (
  ctx: WorkflowContext<S>,
  input: I,
) => WorkflowResult;

/**
 * A defined workflow: a function plus its name, stable id, description and optional input schema.
 * `In` is what callers pass; `Out` what the function receives (they differ when the schema
 * transforms); `S` the session state's type.
 *
 * @example
 * ```ts
 * import { type Workflow, defineWorkflow } from "buddy-ai";
 * const hello: Workflow<string> = defineWorkflow(async function hello(_ctx, name: string) {
 *   return `Hello, ${name}`;
 * });
 * console.log(hello.name, hello.id, hello.description);
 * ```
 */
export interface Workflow<In = unknown, Out = In, S extends SessionState = SessionState> {
  readonly kind: "workflow";
  readonly name: string;
  readonly id: string;
  readonly description: string | undefined;
  readonly input: StandardSchemaV1<In, Out> | undefined;
  /** The workflow function (declared as a method so any workflow fits {@link WorkflowLike}). */
  run(ctx: WorkflowContext<S>, input: Out): WorkflowResult;
}

/**
 * A defined workflow or a bare workflow function, as `execute` and `run` accept.
 *
 * @example
 * ```ts
 * import { type WorkflowLike, run } from "buddy-ai";
 * async function twice<I>(workflow: WorkflowLike<I>, input: I) {
 *   return [await run(workflow, input), await run(workflow, input)];
 * }
 * ```
 */
export type WorkflowLike<In = unknown, S extends SessionState = SessionState> =
  | Workflow<In, unknown, S>
  | WorkflowFn<In, S>;
