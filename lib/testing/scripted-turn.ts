import type { ModelRequest, ResponseFormat, ToolDefinition } from "../models/model.js";
import type { Message } from "../run/message.js";
import type { RunMetrics } from "../run/run-metrics.js";

/**
 * A tool call for a scripted turn; `args` is sent as JSON, or as is when it is a string (so a
 * test can send arguments that are not JSON).
 *
 * @example
 * ```ts
 * import type { ScriptedToolCall } from "buddy-ai/testing";
 * const valid: ScriptedToolCall = { name: "get_weather", args: { city: "Paris" } };
 * const broken: ScriptedToolCall = { name: "get_weather", args: "{not json", id: "call_x" };
 * ```
 */
export interface ScriptedToolCall {
  readonly name: string;
  readonly args?: unknown;
  /** Default: `call_<call number>_<index>`. */
  readonly id?: string;
}

/**
 * One scripted model answer. Fields combine: text streams first, then tool calls, then usage.
 *
 * @example
 * ```ts
 * import type { ScriptedAnswer } from "buddy-ai/testing";
 * const streamed: ScriptedAnswer = { text: ["Hel", "lo"], usage: { inputTokens: 5, outputTokens: 2 } };
 * const structured: ScriptedAnswer = { json: { title: "On tides" } };
 * const failing: ScriptedAnswer = { text: "Partial…", error: new Error("connection reset") };
 * ```
 */
export interface ScriptedAnswer {
  /** The answer: a string streams word by word; an array streams chunk by chunk as given. */
  readonly text?: string | readonly string[];
  /** A value answered as JSON text (for agents with `output`). */
  readonly json?: unknown;
  readonly toolCalls?: readonly ScriptedToolCall[];
  /** Thrown by the call, after any text has streamed. */
  readonly error?: Error;
  /** Token usage reported for the call; `totalTokens` defaults to input + output. */
  readonly usage?: RunMetrics;
}

/**
 * Answers a call from the request and the call's number (1 for the model's first call): a text
 * answer or an answer object.
 *
 * @example
 * ```ts
 * import type { ScriptedResponder } from "buddy-ai/testing";
 * const echo: ScriptedResponder = (request, call) => `#${call}: ${request.messages.at(-1)?.content}`;
 * ```
 */
export type ScriptedResponder = (request: ModelRequest, call: number) => string | ScriptedAnswer;

/**
 * A turn that answers several calls: `times` calls (then the script goes on with the next turn),
 * or, without `times`, every call from here on (it must then be the script's last turn).
 *
 * @example
 * ```ts
 * import { type ScriptedRepeat, scriptedModel } from "buddy-ai/testing";
 * const twice: ScriptedRepeat = { repeat: "Still thinking.", times: 2 };
 * const model = scriptedModel([twice, { repeat: (_request, call) => `Answer ${call}` }]);
 * ```
 */
export interface ScriptedRepeat {
  readonly repeat: string | ScriptedAnswer | ScriptedResponder;
  /** How many calls this turn answers (a positive integer). Default: every call from here on. */
  readonly times?: number;
}

/**
 * A turn of the script: a text answer, an answer object, a function of the request (for
 * answers that depend on what was asked, e.g. when runs share one model concurrently), or a
 * {@link ScriptedRepeat} that answers several calls.
 *
 * @example
 * ```ts
 * import { type ScriptedTurn, scriptedModel } from "buddy-ai/testing";
 * const turns: ScriptedTurn[] = [
 *   "A plain answer.",
 *   { toolCalls: [{ name: "search", args: { query: "tides" } }] },
 *   (request) => ({ text: `You asked: ${request.messages.at(-1)?.content}` }),
 *   { repeat: "Anything else?", times: 3 },
 * ];
 * const model = scriptedModel(turns);
 * ```
 */
export type ScriptedTurn = string | ScriptedAnswer | ScriptedResponder | ScriptedRepeat;

/**
 * What a scripted model received in one call.
 *
 * @example
 * ```ts
 * import { agent } from "buddy-ai";
 * import { type ScriptedCall, scriptedModel } from "buddy-ai/testing";
 * const model = scriptedModel(["Hi"]);
 * await agent({ model, instructions: "Be kind." }).run("Hello");
 * const [call]: readonly ScriptedCall[] = model.calls;
 * console.log(call?.messages[0]); // { role: "system", content: "Be kind." }
 * ```
 */
export interface ScriptedCall {
  readonly messages: readonly Message[];
  readonly tools: readonly ToolDefinition[];
  readonly responseFormat: ResponseFormat | undefined;
}
