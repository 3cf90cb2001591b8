import OpenAI, { APIError } from "openai";
import type { Model, ModelChunk, ModelRequest } from "./model.js";
import { ModelError } from "./model-errors.js";
import { ChunkAssembler, completionChunks } from "./openai-chunks.js";
import { toChatFormat, toChatMessages, toChatTools } from "./openai-convert.js";
import {
  type AttemptState,
  type CallSite,
  classify,
  EndedEarlyError,
  errorBodies,
  type Failure,
  shorten,
} from "./openai-failures.js";

/**
 * Options of {@link openai}. Request defaults (temperature…) apply to every call.
 *
 * The defaults suit an agent: a call that gets no response within `timeout` (60 s) or no
 * streamed chunk within `idleTimeout` (120 s) fails with `ModelTimeoutError` instead of hanging
 * the run; failures worth another attempt are retried `maxRetries` (2) times with backoff that
 * honours the server's `Retry-After`, but never once text has been streamed (see README, "When the
 * model fails").
 *
 * @example
 * ```ts
 * import { type OpenAIModelOptions, openai } from "buddy-ai/openai";
 * const options: OpenAIModelOptions = {
 *   baseURL: "http://localhost:8000/v1", // a vLLM server
 *   maxRetries: 4,
 *   timeout: 20_000,
 *   idleTimeout: 300_000, // a reasoning model may think for minutes between chunks
 *   temperature: 0,
 *   extraBody: { top_k: 20 },
 * };
 * const model = openai("Qwen/Qwen2.5-7B-Instruct", options);
 * ```
 */
export interface OpenAIModelOptions {
  /** Default: `OPENAI_API_KEY`; when neither is set but a `baseURL` is, a placeholder is sent. */
  apiKey?: string;
  /** Default: `OPENAI_BASE_URL`, else `https://api.openai.com/v1`. */
  baseURL?: string;
  /**
   * A ready client; `apiKey` and `baseURL` are then ignored. Its own `maxRetries` and `timeout`
   * are not used: the options here (or their defaults) apply.
   */
  client?: OpenAI;
  /**
   * Retries after a failure worth another attempt: HTTP 408, 409, 429 and 5xx (unless the server
   * says `x-should-retry: false`), connection errors, timeouts, a connection dropped or an
   * in-band rate-limit / server error before the first text delta. Never after text was streamed.
   * Default: 2 (3 attempts).
   */
  maxRetries?: number;
  /** First backoff between attempts in ms; it doubles each retry, with jitter. Default: 500. */
  retryDelay?: number;
  /**
   * The longest wait between attempts in ms, for the backoff and for a server's `Retry-After`:
   * a server that asks to wait longer fails the call at once (its status and wait are in the
   * error). Default: 60 000.
   */
  maxRetryDelay?: number;
  /**
   * Milliseconds each attempt waits for the response to start (its headers); with
   * `streaming: false`, for the whole answer. Default: 60 000 (300 000 with `streaming: false`).
   */
  timeout?: number;
  /**
   * Milliseconds a streamed answer may stay silent between chunks (the first one included)
   * before the call fails with `ModelTimeoutError` (`phase: "idle"`). Raise it for models that
   * think long before they answer. Default: 120 000.
   */
  idleTimeout?: number;
  temperature?: number;
  topP?: number;
  /** Sent as `max_tokens`. */
  maxTokens?: number;
  seed?: number;
  stop?: string | string[];
  /**
   * Sets `strict: true` on tools and on the response's JSON schema, whose schemas are converted
   * to what strict mode accepts: `additionalProperties: false` on every object, every property
   * required, optional ones made nullable (a `null` the model sends for one is read as absent).
   * Schemas strict mode cannot express (free-form records, `allOf`, `not`…) are refused with
   * `StrictSchemaError`, before any request. Default: false.
   */
  strict?: boolean;
  /** Stream the answer (default) or ask for it whole; agents see the same chunks either way. */
  streaming?: boolean;
  /**
   * Ask for usage in the stream (`stream_options.include_usage`). Default: true. A server that
   * ignores it reports no usage: the run's `metrics` token counts then stay `undefined`.
   */
  includeUsage?: boolean;
  /** Extra fields merged into every request body, for server-specific parameters. */
  extraBody?: Record<string, unknown>;
}

/**
 * A {@link Model} served through the official `openai` SDK (Chat Completions).
 *
 * @example
 * ```ts
 * import { type OpenAIModel, openai } from "buddy-ai/openai";
 * const model: OpenAIModel = openai("gpt-4o-mini");
 * console.log(model.id, model.client.baseURL);
 * ```
 */
export interface OpenAIModel extends Model {
  /** The SDK client the model calls through (created on first use unless one was given). */
  readonly client: OpenAI;
}

/**
 * A model behind any OpenAI-compatible Chat Completions endpoint: OpenAI itself, vLLM, Ollama,
 * llama.cpp… Calls stream by default. Every failure rejects with a `ModelError`: `ModelHTTPError`
 * for an HTTP error status, `ModelTimeoutError` for a silent server, `ModelStreamError` for a
 * stream that broke, carried an error or made no sense; see {@link OpenAIModelOptions} for the
 * retries and timeouts.
 *
 * @example
 * ```ts
 * import { agent } from "buddy-ai";
 * import { openai } from "buddy-ai/openai";
 *
 * const writer = agent({ model: openai("gpt-4o-mini", { temperature: 0.2 }) });
 * const local = openai("llama3.2", { baseURL: "http://localhost:11434/v1" });
 * console.log((await writer.run("Say hi")).content, local.id);
 * ```
 */
export function openai(modelId: string, options: OpenAIModelOptions = {}): OpenAIModel {
  return new ChatCompletionsModel(modelId, options);
}

/** The defaults of {@link OpenAIModelOptions}, in ms where they are times. */
export const openaiDefaults = Object.freeze({
  maxRetries: 2,
  retryDelay: 500,
  maxRetryDelay: 60_000,
  timeout: 60_000,
  wholeTimeout: 300_000,
  idleTimeout: 120_000,
});

type ChatBody = ReturnType<ChatCompletionsModel["body"]>;

class ChatCompletionsModel implements OpenAIModel {
  readonly provider = "openai";
  #client: OpenAI | undefined;
  /** The client the calls go through: no SDK retries (ours apply), error bodies kept. */
  #caller: OpenAI | undefined;

  constructor(
    readonly id: string,
    private readonly options: OpenAIModelOptions,
  ) {
    this.#client = options.client;
  }

  get client(): OpenAI {
    this.#client ??= createClient(this.id, this.options);
    return this.#client;
  }

  #callerClient(): OpenAI {
    if (this.#caller !== undefined) return this.#caller;
    const client = this.client;
    const inner = (client as unknown as { fetch?: typeof fetch }).fetch ?? globalThis.fetch;
    // The SDK keeps only an error body's `error` object; keep the text for other shapes.
    const keeping: typeof fetch = async (input, init) => {
      const response = await inner(input, init);
      if (response.ok) return response;
      const text = await response.text().catch(() => "");
      const copy = new Response(text, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
      errorBodies.set(copy.headers, text);
      return copy;
    };
    // Our errors say what the SDK would log (an event that is not JSON…): keep it quiet,
    // unless OPENAI_LOG asks for its logs.
    const quiet = process.env.OPENAI_LOG ? {} : { logLevel: "off" as const };
    this.#caller = client.withOptions({ fetch: keeping, maxRetries: 0, ...quiet });
    return this.#caller;
  }

  async *stream(request: ModelRequest): AsyncGenerator<ModelChunk, void, undefined> {
    const { options } = this;
    const client = this.#callerClient();
    const whole = options.streaming === false;
    const site: CallSite = {
      modelId: this.id,
      baseURL: client.baseURL,
      maxRetries: options.maxRetries ?? openaiDefaults.maxRetries,
      timeout: options.timeout ?? (whole ? openaiDefaults.wholeTimeout : openaiDefaults.timeout),
      idleTimeout: options.idleTimeout ?? openaiDefaults.idleTimeout,
    };
    const body = this.body(request);
    for (let attempt = 1; ; attempt++) {
      const state: AttemptState = { headers: false, deltas: 0, text: "", timedOut: undefined };
      let failure: Failure;
      try {
        yield* whole
          ? this.#whole(client, body, site, state, request.signal)
          : this.#streamed(client, body, site, state, request.signal);
        return;
      } catch (error) {
        failure = classify(error, state, site, request.signal);
      }
      if (failure.abort) throw failure.error(attempt, "");
      let note: string | undefined;
      try {
        note = await this.#pause(failure, attempt, site, state, request.signal);
      } catch (error) {
        // Aborted while waiting to retry.
        throw classify(error, state, site, request.signal).error(attempt, "");
      }
      if (note !== undefined) throw failure.error(attempt, note);
    }
  }

  /**
   * Waits before the next attempt; or says why there is none (the note for the error message).
   */
  async #pause(
    failure: Failure,
    attempt: number,
    site: CallSite,
    state: AttemptState,
    signal: AbortSignal | undefined,
  ): Promise<string | undefined> {
    const tried = attempt === 1 ? "" : ` (after ${attempt} attempts)`;
    if (!failure.retryable) {
      return state.deltas > 0
        ? ` (not retried: ${state.deltas} deltas were already streamed${attempt === 1 ? "" : `; after ${attempt} attempts`})`
        : tried;
    }
    if (attempt > site.maxRetries) {
      return attempt === 1
        ? " (`maxRetries`: 0)"
        : ` (after ${attempt} attempts; \`maxRetries\`: ${site.maxRetries})`;
    }
    const { retryDelay = openaiDefaults.retryDelay, maxRetryDelay = openaiDefaults.maxRetryDelay } =
      this.options;
    let delay: number;
    if (failure.retryAfterMs !== undefined) {
      if (failure.retryAfterMs > maxRetryDelay) {
        return ` (the server asked to retry after ${Math.ceil(failure.retryAfterMs / 1000)} s, more than \`maxRetryDelay\` (${maxRetryDelay} ms)${attempt === 1 ? "" : `; after ${attempt} attempts`})`;
      }
      delay = failure.retryAfterMs;
    } else {
      const backoff = Math.min(retryDelay * 2 ** (attempt - 1), maxRetryDelay);
      delay = backoff * (0.75 + Math.random() * 0.25);
    }
    await sleep(delay, signal);
    return undefined;
  }

  /** One attempt at a whole (non-streamed) answer, bounded by `timeout` as a whole. */
  async *#whole(
    client: OpenAI,
    body: ChatBody,
    site: CallSite,
    state: AttemptState,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<ModelChunk, void, undefined> {
    const controller = linked(signal);
    const timer = setTimeout(() => {
      state.timedOut = "request";
      controller.abort();
    }, site.timeout);
    let completion: OpenAI.Chat.Completions.ChatCompletion;
    try {
      completion = await client.chat.completions.create(
        { ...body, stream: false },
        { signal: controller.signal, timeout: site.timeout + 1_000 },
      );
    } catch (error) {
      // Not the SDK's own error: the body broke off after the headers (a dropped connection).
      if (!(error instanceof APIError) && !(error instanceof SyntaxError)) state.headers = true;
      throw error;
    } finally {
      clearTimeout(timer);
      controller.dispose();
    }
    state.headers = true;
    if (!Array.isArray(completion.choices)) {
      // e.g. a 200 answer carrying `{"object":"error", …}`: read it as a one-event stream.
      new ChunkAssembler().push(
        completion as unknown as OpenAI.Chat.Completions.ChatCompletionChunk,
      );
    }
    if (completion.choices.length === 0) {
      throw new EndedEarlyError(shorten(JSON.stringify(completion)));
    }
    yield* completionChunks(completion, body.model);
  }

  /** One attempt at a streamed answer: `timeout` until the response starts, then `idleTimeout`. */
  async *#streamed(
    client: OpenAI,
    body: ChatBody,
    site: CallSite,
    state: AttemptState,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<ModelChunk, void, undefined> {
    const includeUsage = this.options.includeUsage !== false;
    const controller = linked(signal);
    const watch = new Watchdog(site.timeout, () => {
      state.timedOut = state.headers ? "idle" : "request";
      controller.abort();
    });
    try {
      const stream = await client.chat.completions.create(
        {
          ...body,
          stream: true,
          ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
        },
        { signal: controller.signal, timeout: site.timeout + 1_000 },
      );
      state.headers = true;
      watch.rearm(site.idleTimeout);
      const assembler = new ChunkAssembler(body.model);
      for await (const chunk of stream) {
        watch.touch();
        const text = assembler.push(chunk);
        if (text) {
          state.deltas++;
          state.text += text;
          // A slow consumer is not a silent server: the clock stops while it holds the delta.
          watch.hold();
          yield { type: "text-delta", text };
          watch.touch();
        }
      }
      // The SDK ends an aborted stream quietly: ours (a timeout) or the caller's must reject.
      if (state.timedOut !== undefined) throw new Error("timed out");
      if (signal?.aborted) throw signal.reason;
      if (!assembler.finished) throw new EndedEarlyError(assembler.firstEvent);
      yield* assembler.end();
    } finally {
      watch.stop();
      // Closes the HTTP request when the consumer stopped early or the stream failed.
      controller.abort();
      controller.dispose();
    }
  }

  body(request: ModelRequest) {
    const { options } = this;
    const strict = options.strict === true;
    const tools = toChatTools(request, strict);
    const format = toChatFormat(request, strict);
    return {
      ...options.extraBody,
      model: this.id,
      messages: toChatMessages(request.messages),
      ...(tools.length > 0 ? { tools } : {}),
      ...(format === undefined ? {} : { response_format: format }),
      ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
      ...(options.topP === undefined ? {} : { top_p: options.topP }),
      ...(options.maxTokens === undefined ? {} : { max_tokens: options.maxTokens }),
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      ...(options.stop === undefined ? {} : { stop: options.stop }),
    };
  }
}

/**
 * One timer for a stream's silences: `touch()` per chunk only notes the time (no timer churn on
 * the hot path); when the timer fires early it re-arms for what is left.
 */
class Watchdog {
  #bound: number;
  #last = performance.now();
  #held = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    bound: number,
    private readonly fire: () => void,
  ) {
    this.#bound = bound;
    this.#arm(bound);
  }

  /** A chunk came (or the consumer handed control back): the silence starts again. */
  touch(): void {
    this.#last = performance.now();
    this.#held = false;
  }

  /** The consumer holds a chunk: no silence is counted until the next `touch()`. */
  hold(): void {
    this.#held = true;
  }

  /** A new bound, counted from now. */
  rearm(bound: number): void {
    this.#bound = bound;
    this.#last = performance.now();
    clearTimeout(this.#timer);
    this.#arm(bound);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => {
      const left = this.#held ? this.#bound : this.#last + this.#bound - performance.now();
      if (left > 1) this.#arm(left);
      else this.fire();
    }, ms);
  }
}

/** A controller aborted with `signal`; `dispose()` detaches it. */
function linked(signal: AbortSignal | undefined): AbortController & { dispose(): void } {
  const controller = new AbortController() as AbortController & { dispose(): void };
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  controller.dispose = () => signal?.removeEventListener("abort", onAbort);
  return controller;
}

/** Resolves after `ms`, or rejects when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function createClient(modelId: string, options: OpenAIModelOptions): OpenAI {
  const baseURL = options.baseURL ?? process.env.OPENAI_BASE_URL;
  const apiKey =
    options.apiKey ?? process.env.OPENAI_API_KEY ?? (baseURL ? "no-api-key" : undefined);
  if (apiKey === undefined || apiKey === "") {
    throw new ModelError(
      modelId,
      `No API key for model "${modelId}": pass openai("${modelId}", { apiKey }) or set OPENAI_API_KEY (or set a baseURL for a local server that needs none)`,
      baseURL ? { baseURL } : {},
    );
  }
  return new OpenAI({
    apiKey,
    ...(baseURL ? { baseURL } : {}),
    ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
  });
}
