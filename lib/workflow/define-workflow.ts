import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { ContentOf, SessionState, Workflow, WorkflowFn, WorkflowResult } from "./workflow.js";
import type { WorkflowContext } from "./workflow-context.js";

/**
 * Options of {@link defineWorkflow}'s object form.
 *
 * @example
 * ```ts
 * import { type WorkflowDefinition, defineWorkflow } from "buddy-ai";
 * const definition: WorkflowDefinition<string, Record<string, unknown>> = {
 *   name: "echo",
 *   run: async (_ctx, text) => text,
 * };
 * const echo = defineWorkflow(definition);
 * ```
 */
export interface WorkflowDefinition<
  I,
  S extends SessionState,
  R extends WorkflowResult = WorkflowResult,
> {
  /** Default: the `run` function's name. */
  name?: string;
  /** Stable across processes; default derived from the name (`"Article Writer"` → `"article-writer"`). */
  id?: string;
  description?: string;
  run: (ctx: WorkflowContext<S>, input: I) => R;
}

/**
 * {@link WorkflowDefinition} with an input schema (zod, valibot, arktype… any Standard Schema).
 *
 * @example
 * ```ts
 * import { defineWorkflow } from "buddy-ai";
 * import { z } from "zod";
 * const sum = defineWorkflow({
 *   name: "sum",
 *   input: z.array(z.number()),
 *   run: async (_ctx, numbers) => String(numbers.reduce((a, b) => a + b, 0)),
 * });
 * ```
 */
export interface WorkflowDefinitionWithInput<
  Schema extends StandardSchemaV1,
  S extends SessionState,
  R extends WorkflowResult = WorkflowResult,
> extends WorkflowDefinition<StandardSchemaV1.InferOutput<Schema>, S, R> {
  /** Validates (and types) the input before the run starts. */
  input: Schema;
}

/**
 * Defines a workflow: plain code, any of four return styles (a `RunResponse`, a promise of one,
 * a generator or an async generator of events and content).
 *
 * @example
 * ```ts
 * import { defineWorkflow } from "buddy-ai";
 * import { z } from "zod";
 *
 * const article = defineWorkflow({
 *   name: "article",
 *   description: "Research a topic, then write an article.",
 *   input: z.object({ topic: z.string() }),
 *   async *run(_ctx, { topic }) {
 *     yield `Researching ${topic}… `;
 *     yield `Writing about ${topic}.`;
 *   },
 * });
 *
 * // Shorthand: the name comes from the function.
 * const hello = defineWorkflow(async function hello(_ctx, name: string) {
 *   return `Hello, ${name}`;
 * });
 * ```
 */
export function defineWorkflow<
  Schema extends StandardSchemaV1,
  S extends SessionState = SessionState,
  R extends WorkflowResult = WorkflowResult,
>(
  definition: WorkflowDefinitionWithInput<Schema, S, R>,
): Workflow<
  StandardSchemaV1.InferInput<Schema>,
  StandardSchemaV1.InferOutput<Schema>,
  S,
  ContentOf<R>
>;
export function defineWorkflow<
  I = unknown,
  S extends SessionState = SessionState,
  R extends WorkflowResult = WorkflowResult,
>(definition: WorkflowDefinition<I, S, R>): Workflow<I, I, S, ContentOf<R>>;
export function defineWorkflow<
  I = unknown,
  S extends SessionState = SessionState,
  R extends WorkflowResult = WorkflowResult,
>(fn: (ctx: WorkflowContext<S>, input: I) => R): Workflow<I, I, S, ContentOf<R>>;
export function defineWorkflow(
  definition:
    | (WorkflowDefinition<unknown, SessionState> & { input?: StandardSchemaV1 })
    | WorkflowFn,
): Workflow {
  const def = typeof definition === "function" ? { run: definition } : definition;
  if (typeof def.run !== "function") {
    throw new TypeError("defineWorkflow: `run` must be a function (ctx, input) => …");
  }
  const name = def.name ?? (def.run.name || "workflow");
  return Object.freeze({
    kind: "workflow" as const,
    name,
    id: def.id ?? workflowIdFromName(name),
    description: def.description,
    input: "input" in def ? def.input : undefined,
    run: def.run,
  });
}

/** `"Article Writer"` → `"article-writer"`; stable, so ids match across processes. */
export function workflowIdFromName(name: string): string {
  const slug = name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return slug || "workflow";
}

/** True when `value` is a workflow made by {@link defineWorkflow}. */
export function isWorkflow(value: unknown): value is Workflow {
  return typeof value === "object" && value !== null && (value as Workflow).kind === "workflow";
}
