import OpenAI from "openai";
import type { Model, ModelChunk, ModelRequest } from "./model.js";
import { ModelError } from "./model-errors.js";
import { ChunkAssembler, completionChunks } from "./openai-chunks.js";
import {
  type CallSite,
  toChatFormat,
  toChatMessages,
  toChatTools,
  toModelError,
} from "./openai-convert.js";

/**
 * Options of {@link openai}. Request defaults (temperature…) apply to every call.
 *
 * @example
 * ```ts
 * import { type OpenAIModelOptions, openai } from "buddy-ai/openai";
 * const options: OpenAIModelOptions = {
 *   baseURL: "http://localhost:8000/v1", // a vLLM server
 *   maxRetries: 4,
 *   timeout: 20_000,
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
  /** A ready client; `apiKey` and `baseURL` are then ignored. */
  client?: OpenAI;
  /** Retries on 408/409/429/5xx and connection errors, with the SDK's backoff. Default: 2. */
  maxRetries?: number;
  /** Milliseconds to wait for each attempt's response headers. Default: the SDK's (10 min). */
  timeout?: number;
  temperature?: number;
  topP?: number;
  /** Sent as `max_tokens`. */
  maxTokens?: number;
  seed?: number;
  stop?: string | string[];
  /** Sets `strict: true` on tools and on the response's JSON schema. Default: false. */
  strict?: boolean;
  /** Stream the answer (default) or ask for it whole; agents see the same chunks either way. */
  streaming?: boolean;
  /** Ask for usage in the stream (`stream_options.include_usage`). Default: true. */
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
 * llama.cpp… Calls stream by default and are retried on 429/5xx and connection errors (the SDK's
 * policy); other HTTP errors reject with `ModelHTTPError`, timeouts with `ModelTimeoutError`.
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

class ChatCompletionsModel implements OpenAIModel {
  #client: OpenAI | undefined;

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

  async *stream(request: ModelRequest): AsyncGenerator<ModelChunk, void, undefined> {
    const { options } = this;
    const client = this.client;
    const site: CallSite = {
      modelId: this.id,
      baseURL: client.baseURL,
      maxRetries: options.maxRetries ?? client.maxRetries,
    };
    const body = this.body(request);
    const requestOptions = {
      signal: request.signal,
      ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    };
    try {
      if (options.streaming === false) {
        const completion = await client.chat.completions.create(
          { ...body, stream: false },
          requestOptions,
        );
        yield* completionChunks(completion);
        return;
      }
      const includeUsage = options.includeUsage !== false;
      const stream = await client.chat.completions.create(
        {
          ...body,
          stream: true,
          ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
        },
        requestOptions,
      );
      const assembler = new ChunkAssembler();
      try {
        for await (const chunk of stream) {
          const text = assembler.push(chunk);
          if (text) yield { type: "text-delta", text };
        }
        // The SDK ends an aborted stream quietly; an aborted call must reject instead.
        if (request.signal?.aborted) throw request.signal.reason;
        yield* assembler.end();
      } finally {
        stream.controller.abort();
      }
    } catch (error) {
      throw toModelError(error, site, request.signal);
    }
  }

  private body(request: ModelRequest) {
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

function createClient(modelId: string, options: OpenAIModelOptions): OpenAI {
  const baseURL = options.baseURL ?? process.env.OPENAI_BASE_URL;
  const apiKey =
    options.apiKey ?? process.env.OPENAI_API_KEY ?? (baseURL ? "no-api-key" : undefined);
  if (apiKey === undefined || apiKey === "") {
    throw new ModelError(
      modelId,
      `No API key for model "${modelId}": pass openai("${modelId}", { apiKey }) or set OPENAI_API_KEY (or set a baseURL for a local server that needs none)`,
    );
  }
  return new OpenAI({
    apiKey,
    ...(baseURL ? { baseURL } : {}),
    ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
  });
}
