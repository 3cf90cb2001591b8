import type { Message } from "../run/message.js";
import type { RunMetrics } from "../run/run-metrics.js";

/**
 * A tool as a model sees it: a name, what it does, and the JSON Schema of its arguments.
 *
 * @example
 * ```ts
 * import type { ToolDefinition } from "buddy-ai";
 * const definition: ToolDefinition = {
 *   name: "get_weather",
 *   description: "Current weather in a city",
 *   parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
 * };
 * ```
 */
export interface ToolDefinition {
  readonly name: string;
  readonly description: string;
  /** JSON Schema (draft-07) of the arguments object. */
  readonly parameters: Record<string, unknown>;
}

/**
 * Asks the model for an answer that is JSON matching `schema`.
 *
 * @example
 * ```ts
 * import type { ResponseFormat } from "buddy-ai";
 * const format: ResponseFormat = { name: "output", schema: { type: "object" } };
 * ```
 */
export interface ResponseFormat {
  /** A short identifier for the schema (letters, digits, `_`, `-`). */
  readonly name: string;
  /** JSON Schema (draft-07) the answer must match. */
  readonly schema: Record<string, unknown>;
}

/**
 * One call to a model: the conversation so far and what the model may use to answer.
 *
 * @example
 * ```ts
 * import type { ModelRequest } from "buddy-ai";
 * import { openai } from "buddy-ai/openai";
 * const request: ModelRequest = {
 *   messages: [{ role: "user", content: "Hi" }],
 *   tools: [],
 *   signal: AbortSignal.timeout(30_000),
 * };
 * for await (const chunk of openai("gpt-4o-mini").stream(request)) console.log(chunk);
 * ```
 */
export interface ModelRequest {
  readonly messages: readonly Message[];
  readonly tools: readonly ToolDefinition[];
  /** Present when the answer must be JSON matching a schema. */
  readonly responseFormat?: ResponseFormat;
  /** Aborting it stops the call (and closes its HTTP request). */
  readonly signal?: AbortSignal;
}

/**
 * A piece of the answer's text, in order.
 *
 * @example
 * ```ts
 * import type { TextDeltaChunk } from "buddy-ai";
 * const chunk: TextDeltaChunk = { type: "text-delta", text: "Hel" };
 * ```
 */
export interface TextDeltaChunk {
  readonly type: "text-delta";
  readonly text: string;
}

/**
 * A complete tool call; `arguments` is the JSON string the model sent.
 *
 * @example
 * ```ts
 * import type { ToolCallChunk } from "buddy-ai";
 * const chunk: ToolCallChunk = {
 *   type: "tool-call",
 *   id: "call_1",
 *   name: "get_weather",
 *   arguments: '{"city":"Paris"}',
 * };
 * ```
 */
export interface ToolCallChunk {
  readonly type: "tool-call";
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
}

/**
 * Token usage of the call; a provider that reports none sends no such chunk.
 *
 * @example
 * ```ts
 * import type { UsageChunk } from "buddy-ai";
 * const chunk: UsageChunk = {
 *   type: "usage",
 *   usage: { inputTokens: 12, outputTokens: 3, totalTokens: 15 },
 * };
 * ```
 */
export interface UsageChunk {
  readonly type: "usage";
  readonly usage: RunMetrics;
}

/**
 * The answer is complete; `reason` is the provider's (`"stop"`, `"tool_calls"`, `"length"`…).
 *
 * @example
 * ```ts
 * import type { FinishChunk } from "buddy-ai";
 * const chunk: FinishChunk = { type: "finish", reason: "stop" };
 * ```
 */
export interface FinishChunk {
  readonly type: "finish";
  readonly reason: string;
  /** The model that answered, when the provider names another than the one asked for. */
  readonly model?: string;
}

/**
 * What a model streams back, discriminated on `type`: text deltas in order, then complete tool
 * calls, usage (when the provider reports it), and one `finish`.
 *
 * @example
 * ```ts
 * import type { ModelChunk } from "buddy-ai";
 * function describe(chunk: ModelChunk): string {
 *   switch (chunk.type) {
 *     case "text-delta": return chunk.text;
 *     case "tool-call": return `${chunk.name}(${chunk.arguments})`;
 *     case "usage": return `${chunk.usage.totalTokens} tokens`;
 *     case "finish": return `[${chunk.reason}]`;
 *   }
 * }
 * ```
 */
export type ModelChunk = TextDeltaChunk | ToolCallChunk | UsageChunk | FinishChunk;

/**
 * The provider-neutral interface between agents and model providers. Implement it to plug in
 * another provider; agents only ever call {@link Model.stream}.
 *
 * A model must be safe to call concurrently: keep per-call state inside `stream`.
 *
 * @example
 * ```ts
 * import type { Model, ModelChunk, ModelRequest } from "buddy-ai";
 *
 * const echo: Model = {
 *   id: "echo",
 *   async *stream(request: ModelRequest): AsyncIterable<ModelChunk> {
 *     const last = request.messages.at(-1);
 *     yield { type: "text-delta", text: last?.content ?? "" };
 *     yield { type: "finish", reason: "stop" };
 *   },
 * };
 * ```
 */
export interface Model {
  /** The model's name as the provider knows it, e.g. `"gpt-4o-mini"`. */
  readonly id: string;
  /** Who serves it, as traces name it (`gen_ai.provider.name`), e.g. `"openai"`. */
  readonly provider?: string;
  /**
   * Calls the model once. Text deltas come in order; tool calls come complete. Errors reject the
   * iteration (an aborted `signal` rejects with `AbortError`); stopping the iteration early
   * cancels the call.
   */
  stream(request: ModelRequest): AsyncIterable<ModelChunk>;
}
