import { BuddyError } from "../errors.js";

/**
 * What a {@link ModelError} may carry besides its message: the server, the attempts made, and an
 * HTTP status (or the status an error sent inside a stream maps to).
 *
 * @example
 * ```ts
 * import { ModelError, type ModelErrorOptions } from "buddy-ai/openai";
 * const options: ModelErrorOptions = { baseURL: "http://localhost:8000/v1", attempts: 3, status: 503 };
 * const error = new ModelError("my-model", "The server is overloaded", options);
 * console.log(error.status, error.attempts); // 503 3
 * ```
 */
export interface ModelErrorOptions extends ErrorOptions {
  /** The server's base URL, e.g. `"https://api.openai.com/v1"`. */
  readonly baseURL?: string;
  /** How many attempts were made (1 + retries). Default: 1. */
  readonly attempts?: number;
  /** The HTTP status, or the status an in-band error's `code` maps to. */
  readonly status?: number;
}

/**
 * A model call failed: the provider could not be reached, or answered with something unusable.
 * Every failure of an `openai()` model is one: {@link ModelHTTPError} (an HTTP error status),
 * {@link ModelTimeoutError} (no answer, or no chunk, in time) and {@link ModelStreamError} (the
 * stream broke, carried an error, or was not a chat completion) narrow it down. `cause` holds
 * the original error (the SDK's, or undici's).
 *
 * @example
 * ```ts
 * import { ModelError, agent } from "buddy-ai";
 * import { openai } from "buddy-ai/openai";
 * try {
 *   await agent({ model: openai("gpt-4o-mini") }).run("Hi");
 * } catch (error) {
 *   if (error instanceof ModelError) {
 *     console.error(`${error.modelId} at ${error.baseURL}: ${error.message} (${error.attempts} attempts)`);
 *   }
 * }
 * ```
 */
export class ModelError extends BuddyError {
  /** The id of the model that was called. */
  readonly modelId: string;
  /** The server that was called, when known. */
  readonly baseURL: string | undefined;
  /** How many attempts were made before giving up (1 when it was not retried). */
  readonly attempts: number;
  /**
   * The HTTP status; for an error sent inside a stream, the status its code maps to
   * (`rate_limit_exceeded` → 429, `server_error` → 500, a numeric code as is), else undefined.
   */
  readonly status: number | undefined;
  constructor(modelId: string, message: string, options: ModelErrorOptions = {}) {
    const { baseURL, attempts, status, ...errorOptions } = options;
    super(message, errorOptions);
    this.modelId = modelId;
    this.baseURL = baseURL;
    this.attempts = attempts ?? 1;
    this.status = status;
  }
}

/**
 * The provider answered with an HTTP error status that retries did not resolve (4xx such as 401
 * and 400 are not retried; 408, 409, 429 and 5xx are, within the model's `maxRetries`).
 * `body` is the server's error body: OpenAI's `error` object, or whatever JSON or text the server
 * sent (`{ "message": … }` from vLLM, `{ "detail": … }` from FastAPI servers, plain text).
 *
 * @example
 * ```ts
 * import { ModelHTTPError, agent } from "buddy-ai";
 * import { openai } from "buddy-ai/openai";
 * try {
 *   await agent({ model: openai("gpt-4o-mini", { apiKey: "wrong" }) }).run("Hi");
 * } catch (error) {
 *   if (error instanceof ModelHTTPError && error.status === 401) console.error("Check the API key");
 * }
 * ```
 */
export class ModelHTTPError extends ModelError {
  /** The HTTP status code, e.g. 401. */
  declare readonly status: number;
  /** The provider's error body (its `error` object, else the body as parsed JSON or text). */
  readonly body: unknown;
  constructor(
    modelId: string,
    status: number,
    message: string,
    body: unknown,
    options?: ModelErrorOptions,
  ) {
    super(modelId, message, { ...options, status });
    this.body = body;
  }
}

/**
 * A model call timed out: no response within `timeout` (`phase: "request"`), or no streamed
 * chunk within `idleTimeout` (`phase: "idle"`). Retried like a dropped connection while no text
 * was streamed yet.
 *
 * @example
 * ```ts
 * import { ModelTimeoutError } from "buddy-ai";
 * import { openai } from "buddy-ai/openai";
 * const model = openai("gpt-4o-mini", { timeout: 30_000, idleTimeout: 20_000 });
 * // … an agent run rejects with ModelTimeoutError when the provider stays silent that long
 * const explain = (e: ModelTimeoutError) => `${e.phase} timeout after ${e.timeoutMs} ms`;
 * console.log(model.id, explain);
 * ```
 */
export class ModelTimeoutError extends ModelError {
  /** Which bound was hit: the wait for the response, or the wait between streamed chunks. */
  readonly phase: "request" | "idle";
  /** The bound that was hit, in milliseconds. */
  readonly timeoutMs: number | undefined;
  constructor(
    modelId: string,
    message: string,
    options: ModelErrorOptions & { phase?: "request" | "idle"; timeoutMs?: number } = {},
  ) {
    const { phase, timeoutMs, ...rest } = options;
    super(modelId, message, rest);
    this.phase = phase ?? "request";
    this.timeoutMs = timeoutMs;
  }
}

/**
 * How a streamed answer failed; see {@link ModelStreamError}.
 *
 * @example
 * ```ts
 * import type { ModelStreamFailure } from "buddy-ai/openai";
 * const advice: Record<ModelStreamFailure, string> = {
 *   dropped: "the connection broke: try again",
 *   "error-event": "the server reported an error: read its code",
 *   malformed: "the server does not speak Chat Completions: check baseURL",
 * };
 * ```
 */
export type ModelStreamFailure = "dropped" | "error-event" | "malformed";

/**
 * A streamed answer failed after the server had accepted the request (HTTP 200):
 * - `"dropped"`: the connection closed mid-answer (or the stream ended with no finish reason);
 * - `"error-event"`: the server sent an error inside the stream (`data: {"error": …}`, or a
 *   vLLM-style `{"object": "error", …}` event); its `code` and `type` are kept, and `status` holds
 *   the HTTP status they map to, so a rate limit is recognisable (and retried while no text was
 *   streamed);
 * - `"malformed"`: an event that is not a chat completion chunk (no `choices`), shown in
 *   `firstEvent`.
 *
 * `deltas` and `partialText` say what had been streamed before it failed: the consumer has seen
 * that text, so such a call is never retried (a retry would repeat it).
 *
 * @example
 * ```ts
 * import { agent } from "buddy-ai";
 * import { ModelStreamError, openai } from "buddy-ai/openai";
 * try {
 *   await agent({ model: openai("gpt-4o-mini") }).run("Write a long story");
 * } catch (error) {
 *   if (error instanceof ModelStreamError && error.failure === "dropped") {
 *     console.error(`cut off after ${error.deltas} deltas: ${error.partialText}`);
 *   }
 * }
 * ```
 */
export class ModelStreamError extends ModelError {
  readonly failure: ModelStreamFailure;
  /** Text deltas streamed before the failure. */
  readonly deltas: number;
  /** The text streamed before the failure. */
  readonly partialText: string;
  /** The in-band error's `code`, when it had one (e.g. `"rate_limit_exceeded"`, `429`). */
  readonly code: string | number | undefined;
  /** The in-band error's `type`, when it had one (e.g. `"server_error"`). */
  readonly type: string | undefined;
  /** For a malformed stream, the offending event as received (JSON, shortened). */
  readonly firstEvent: string | undefined;
  constructor(
    modelId: string,
    message: string,
    details: {
      readonly failure: ModelStreamFailure;
      readonly deltas: number;
      readonly partialText: string;
      readonly code?: string | number;
      readonly type?: string;
      readonly firstEvent?: string;
    },
    options?: ModelErrorOptions,
  ) {
    super(modelId, message, options);
    this.failure = details.failure;
    this.deltas = details.deltas;
    this.partialText = details.partialText;
    this.code = details.code;
    this.type = details.type;
    this.firstEvent = details.firstEvent;
  }
}
