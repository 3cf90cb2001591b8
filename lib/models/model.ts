import type { Message } from "../run/message.js";
import type { RunMetrics } from "../run/run-metrics.js";

/** A tool as a model sees it: a name, what it does, and the JSON Schema of its arguments. */
export interface ToolDefinition {
  readonly name: string;
  readonly description: string;
  /** JSON Schema (draft-07) of the arguments object. */
  readonly parameters: Record<string, unknown>;
}

/** Asks the model for an answer that is JSON matching `schema`. */
export interface ResponseFormat {
  /** A short identifier for the schema (letters, digits, `_`, `-`). */
  readonly name: string;
  /** JSON Schema (draft-07) the answer must match. */
  readonly schema: Record<string, unknown>;
}

/** One call to a model: the conversation so far and what the model may use to answer. */
export interface ModelRequest {
  readonly messages: readonly Message[];
  readonly tools: readonly ToolDefinition[];
  /** Present when the answer must be JSON matching a schema. */
  readonly responseFormat?: ResponseFormat;
  /** Aborting it stops the call (and closes its HTTP request). */
  readonly signal?: AbortSignal;
}

/** A piece of the answer's text, in order. */
export interface TextDeltaChunk {
  readonly type: "text-delta";
  readonly text: string;
}

/** A complete tool call; `arguments` is the JSON string the model sent. */
export interface ToolCallChunk {
  readonly type: "tool-call";
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
}

/** Token usage of the call; a provider that reports none sends no such chunk. */
export interface UsageChunk {
  readonly type: "usage";
  readonly usage: RunMetrics;
}

/** The answer is complete; `reason` is the provider's (`"stop"`, `"tool_calls"`, `"length"`…). */
export interface FinishChunk {
  readonly type: "finish";
  readonly reason: string;
}

/** What a model streams back: discriminated on `type`. */
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
  /**
   * Calls the model once. Text deltas come in order; tool calls come complete. Errors reject the
   * iteration (an aborted `signal` rejects with `AbortError`); stopping the iteration early
   * cancels the call.
   */
  stream(request: ModelRequest): AsyncIterable<ModelChunk>;
}
