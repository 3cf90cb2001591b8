import type { OpenAI } from "openai";
import type { Message } from "../run/message.js";
import type { RunMetrics } from "../run/run-metrics.js";
import type { ModelRequest } from "./model.js";
import { strictSchema } from "./strict-schema.js";

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
      ...(strict
        ? { parameters: strictSchema(t.parameters, `Tool "${t.name}" parameters`), strict: true }
        : { parameters: t.parameters }),
    },
  }));
}

/** The request's response format in Chat Completions form, if any. */
export function toChatFormat(request: ModelRequest, strict: boolean): ChatFormat | undefined {
  const format = request.responseFormat;
  if (format === undefined) return undefined;
  return {
    type: "json_schema",
    json_schema: strict
      ? {
          name: format.name,
          schema: strictSchema(format.schema, "The output schema"),
          strict: true,
        }
      : { name: format.name, schema: format.schema },
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
