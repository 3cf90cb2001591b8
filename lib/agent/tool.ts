import type { StandardSchemaV1 } from "@standard-schema/spec";
import { AgentConfigError } from "./agent-errors.js";
import { toJsonSchema } from "./standard-schema.js";

/**
 * What a tool's `execute` gets besides its arguments.
 *
 * @example
 * ```ts
 * import { type ToolExecuteOptions, tool } from "buddy-ai";
 * import { z } from "zod";
 * const fetchPage = tool({
 *   name: "fetch_page",
 *   description: "Fetches a web page as text",
 *   parameters: z.object({ url: z.string() }),
 *   execute: async ({ url }, { signal }: ToolExecuteOptions) => (await fetch(url, { signal })).text(),
 * });
 * ```
 */
export interface ToolExecuteOptions {
  /** Aborted when the agent run is cancelled; pass it on to `fetch` and the like. */
  readonly signal: AbortSignal;
  /** The id the model gave this call. */
  readonly toolCallId: string;
}

/**
 * Options of {@link tool}.
 *
 * @example
 * ```ts
 * import { type ToolOptions, tool } from "buddy-ai";
 * import { z } from "zod";
 * const params = z.object({ a: z.number(), b: z.number() });
 * const options: ToolOptions<typeof params, number> = {
 *   name: "add",
 *   description: "Adds two numbers",
 *   parameters: params,
 *   execute: ({ a, b }) => a + b,
 * };
 * const add = tool(options);
 * ```
 */
export interface ToolOptions<Schema extends StandardSchemaV1, Result> {
  /** Letters, digits, `_` and `-`, at most 64 characters: what model APIs accept. */
  name: string;
  /** Tells the model what the tool does and when to use it. */
  description: string;
  /** Standard Schema (zod 4…) of the arguments object; it also yields the JSON Schema. */
  parameters: Schema;
  /** Runs with validated arguments; the result goes back to the model (as JSON unless a string). */
  execute(
    args: StandardSchemaV1.InferOutput<Schema>,
    options: ToolExecuteOptions,
  ): Result | PromiseLike<Result>;
  /**
   * Asks a person before each call (`true`), or before the calls `(args) => true` picks. Inside
   * a run with a store, such a call suspends the run, waiting for `approve:<toolCallId>` with
   * `{ toolName, args }` as the prompt; resuming with `{ approved: true }` runs the tool,
   * `{ approved: false, reason? }` tells the model it was refused.
   */
  needsApproval?: boolean | ((args: StandardSchemaV1.InferOutput<Schema>) => boolean);
}

/**
 * A function an agent's model may call. Make one with {@link tool}.
 *
 * @example
 * ```ts
 * import { type Tool, tool } from "buddy-ai";
 * import { z } from "zod";
 * const now: Tool<{ zone: string }, string> = tool({
 *   name: "now",
 *   description: "The current time in a time zone",
 *   parameters: z.object({ zone: z.string() }),
 *   execute: ({ zone }) => new Date().toLocaleString("en", { timeZone: zone }),
 * });
 * console.log(now.jsonSchema); // { type: "object", properties: { zone: … }, required: ["zone"] }
 * ```
 */
export interface Tool<Args = unknown, Result = unknown> {
  readonly name: string;
  readonly description: string;
  readonly parameters: StandardSchemaV1<unknown, Args>;
  /** The JSON Schema (draft-07) of the arguments, as sent to the model. */
  readonly jsonSchema: Record<string, unknown>;
  execute(args: Args, options: ToolExecuteOptions): Result | PromiseLike<Result>;
  /** Whether a call with `args` waits for a person's approval (see {@link ToolOptions}). */
  readonly needsApproval?: boolean | ApprovalRule<Args>;
}

/** A tool's approval test; declared as a method, so a tool of any arguments is still a `Tool`. */
type ApprovalRule<Args> = { rule(args: Args): boolean }["rule"];

const validName = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Defines a tool for agents. Arguments the model sends are parsed and validated against
 * `parameters` before `execute` runs; invalid arguments and errors thrown by `execute` go back to
 * the model as the tool's result, so it can correct itself.
 *
 * Throws `SchemaConversionError` when `parameters` cannot produce a JSON Schema, and
 * `AgentConfigError` for a name model APIs would reject.
 *
 * @example
 * ```ts
 * import { agent, tool } from "buddy-ai";
 * import { openai } from "buddy-ai/openai";
 * import { z } from "zod";
 *
 * const weather = tool({
 *   name: "get_weather",
 *   description: "Current weather in a city",
 *   parameters: z.object({ city: z.string() }),
 *   execute: async ({ city }, { signal }) => {
 *     const res = await fetch(`https://wttr.in/${city}?format=3`, { signal });
 *     return res.text();
 *   },
 * });
 * const assistant = agent({ model: openai("gpt-4o-mini"), tools: [weather] });
 * ```
 */
export function tool<Schema extends StandardSchemaV1, Result>(
  options: ToolOptions<Schema, Result>,
): Tool<StandardSchemaV1.InferOutput<Schema>, Result> {
  const { name, description, parameters, execute, needsApproval } = options;
  if (typeof name !== "string" || !validName.test(name)) {
    throw new AgentConfigError(
      `Tool name ${JSON.stringify(name)} is not accepted by model APIs; use 1–64 letters, digits, "_" or "-"`,
    );
  }
  if (typeof execute !== "function") {
    throw new AgentConfigError(`Tool "${name}" needs an \`execute(args, { signal })\` function`);
  }
  const jsonSchema = toJsonSchema(parameters, `Tool "${name}" parameters`);
  return Object.freeze({
    name,
    description,
    parameters: parameters as StandardSchemaV1<unknown, StandardSchemaV1.InferOutput<Schema>>,
    jsonSchema,
    execute,
    ...(needsApproval === undefined ? {} : { needsApproval }),
  });
}
