import { BuddyError } from "../errors.js";

/**
 * A model call failed: the provider could not be reached, or answered with something unusable.
 * {@link ModelHTTPError} and {@link ModelTimeoutError} narrow it down.
 *
 * @example
 * ```ts
 * import { ModelError, agent } from "buddy-ai";
 * import { openai } from "buddy-ai/openai";
 * try {
 *   await agent({ model: openai("gpt-4o-mini") }).run("Hi");
 * } catch (error) {
 *   if (error instanceof ModelError) console.error(`${error.modelId}: ${error.message}`);
 * }
 * ```
 */
export class ModelError extends BuddyError {
  /** The id of the model that was called. */
  readonly modelId: string;
  constructor(modelId: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.modelId = modelId;
  }
}

/**
 * The provider answered with an HTTP error status that retries did not resolve (4xx such as 401
 * and 400 are not retried; 429 and 5xx are, within the model's `maxRetries`).
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
  readonly status: number;
  /** The provider's error body (its `error` object), when it sent one. */
  readonly body: unknown;
  constructor(
    modelId: string,
    status: number,
    message: string,
    body: unknown,
    options?: ErrorOptions,
  ) {
    super(modelId, message, options);
    this.status = status;
    this.body = body;
  }
}

/**
 * A model call timed out (every attempt, when retries were allowed).
 *
 * @example
 * ```ts
 * import { ModelTimeoutError } from "buddy-ai";
 * import { openai } from "buddy-ai/openai";
 * const model = openai("gpt-4o-mini", { timeout: 30_000 });
 * // … an agent run rejects with ModelTimeoutError when the provider stays silent for 30 s
 * console.log(ModelTimeoutError.name, model.id);
 * ```
 */
export class ModelTimeoutError extends ModelError {}
