import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  type OpenAI,
} from "openai";
import { AbortError } from "../errors.js";
import type { Message } from "../run/message.js";
import type { RunMetrics } from "../run/run-metrics.js";
import type { ModelRequest } from "./model.js";
import { ModelError, ModelHTTPError, ModelTimeoutError } from "./model-errors.js";

type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type ChatTool = OpenAI.Chat.Completions.ChatCompletionFunctionTool;
type ChatFormat = OpenAI.ResponseFormatJSONSchema;

/** Our messages in Chat Completions form. */
export function toChatMessages(messages: readonly Message[]): ChatMessage[] {
  return messages.map((m): ChatMessage => {
    switch (m.role) {
      case "system":
      case "user":
        return { role: m.role, content: m.content };
      case "assistant":
        return m.toolCalls !== undefined && m.toolCalls.length > 0
          ? {
              role: "assistant",
              content: m.content,
              tool_calls: m.toolCalls.map((c) => ({
                id: c.id,
                type: "function",
                function: { name: c.name, arguments: c.arguments },
              })),
            }
          : { role: "assistant", content: m.content ?? "" };
      case "tool":
        return { role: "tool", tool_call_id: m.toolCallId, content: m.content };
      default: {
        const never: never = m;
        throw new TypeError(`Unknown message role in ${JSON.stringify(never)}`);
      }
    }
  });
}

/** The request's tools in Chat Completions form. */
export function toChatTools(request: ModelRequest, strict: boolean): ChatTool[] {
  return request.tools.map((t) => ({
    type: "function",
    function: {
      name: t.name,
      description: t.description,
      parameters: t.parameters,
      ...(strict ? { strict: true } : {}),
    },
  }));
}

/** The request's response format in Chat Completions form, if any. */
export function toChatFormat(request: ModelRequest, strict: boolean): ChatFormat | undefined {
  const format = request.responseFormat;
  if (format === undefined) return undefined;
  return {
    type: "json_schema",
    json_schema: { name: format.name, schema: format.schema, ...(strict ? { strict: true } : {}) },
  };
}

/** Chat Completions usage as run metrics. */
export function toMetrics(usage: OpenAI.CompletionUsage): RunMetrics {
  return {
    inputTokens: usage.prompt_tokens,
    outputTokens: usage.completion_tokens,
    totalTokens: usage.total_tokens ?? usage.prompt_tokens + usage.completion_tokens,
  };
}

/** Where and how a model is called, for error messages. */
export interface CallSite {
  readonly modelId: string;
  readonly baseURL: string;
  readonly maxRetries: number;
}

/** Maps an error of the SDK (or of the stream) to one of ours; others pass through unchanged. */
export function toModelError(error: unknown, site: CallSite, signal?: AbortSignal): unknown {
  if (signal?.aborted || error instanceof APIUserAbortError) {
    return new AbortError(`The call to model "${site.modelId}" was aborted`, {
      cause: signal?.reason ?? error,
    });
  }
  if (error instanceof APIConnectionTimeoutError) {
    return new ModelTimeoutError(
      site.modelId,
      `Model "${site.modelId}" at ${site.baseURL} did not answer in time (maxRetries: ${site.maxRetries}); raise the \`timeout\` option or check the server`,
      { cause: error },
    );
  }
  if (error instanceof APIConnectionError) {
    return new ModelError(
      site.modelId,
      `Could not reach ${site.baseURL} for model "${site.modelId}" (maxRetries: ${site.maxRetries}): ${error.message}; check \`baseURL\` / OPENAI_BASE_URL and that the server is running`,
      { cause: error },
    );
  }
  if (error instanceof APIError && typeof error.status === "number") {
    return new ModelHTTPError(
      site.modelId,
      error.status,
      `Model "${site.modelId}" at ${site.baseURL} answered HTTP ${error.message}; ${hint(error.status, site)}`,
      error.error,
      { cause: error },
    );
  }
  if (error instanceof APIError) {
    return new ModelError(
      site.modelId,
      `Model "${site.modelId}" at ${site.baseURL} failed mid-answer: ${error.message}`,
      { cause: error },
    );
  }
  return error;
}

function hint(status: number, site: CallSite): string {
  if (status === 401 || status === 403) {
    return "check the API key (the `apiKey` option or OPENAI_API_KEY) and its permissions";
  }
  if (status === 404) return "check the model id and `baseURL` (it usually ends in /v1)";
  if (status === 429 || status >= 500) {
    return `still failing after ${site.maxRetries} retries; try again later or raise \`maxRetries\``;
  }
  return "the server's message above says what it rejected";
}
