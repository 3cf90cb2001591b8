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
 * The content type a workflow's result gives its run, as far as the types tell: `string` for a
 * function returning strings or a generator yielding only strings, `C` for `RunResponse<C>`,
 * `undefined` for nothing, `unknown` otherwise (events carry content of any type).
 *
 * @example
 * ```ts
 * import type { ContentOf } from "buddy-ai";
 * type A = ContentOf<Promise<string>>; // string
 * type B = ContentOf<AsyncGenerator<string, void>>; // string
 * ```
 */
export type ContentOf<R> =
  R extends PromiseLike<infer V>
    ? ValueContent<V>
    : // biome-ignore lint/suspicious/noConfusingVoidType: an async function with no return gives Promise<void>.
      R extends string | RunResponse<unknown> | void | undefined
      ? ValueContent<R>
      : R extends Iterable<infer Y> | AsyncIterable<infer Y>
        ? ItemsContent<Y>
        : unknown;

type ValueContent<V> = [V] extends [string]
  ? string
  : [V] extends [RunResponse<infer C>]
    ? C
    : // biome-ignore lint/suspicious/noConfusingVoidType: a function with no return gives void.
      [V] extends [void | undefined]
      ? undefined
      : unknown;

type ItemsContent<Y> = [Y] extends [string]
  ? string
  : [Y] extends [RunResponse<infer C>]
    ? C
    : unknown;

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
export interface Workflow<
  In = unknown,
  Out = In,
  S extends SessionState = SessionState,
  C = unknown,
> {
  readonly kind: "workflow";
  readonly name: string;
  readonly id: string;
  readonly description: string | undefined;
  readonly input: StandardSchemaV1<In, Out> | undefined;
  /** The workflow function (declared as a method so any workflow fits {@link WorkflowLike}). */
  run(ctx: WorkflowContext<S>, input: Out): WorkflowResult;
  /** Types only (never set): the content type its runs resolve (see {@link ContentOf}). */
  readonly "~types"?: { readonly content: C };
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
