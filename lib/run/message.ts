/**
 * A tool call requested by a model, as it appears in a chat message.
 *
 * @example
 * ```ts
 * import type { Message, ToolCall } from "buddy-ai";
 * const call: ToolCall = { id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' };
 * const turn: Message = { role: "assistant", content: null, toolCalls: [call] };
 * ```
 */
export interface ToolCall {
  readonly id: string;
  readonly name: string;
  /** The arguments as the model sent them: a JSON string. */
  readonly arguments: string;
}

/**
 * One chat message exchanged with a model.
 *
 * @example
 * ```ts
 * import type { Message } from "buddy-ai";
 * const history: Message[] = [{ role: "user", content: "Hello" }];
 * ```
 */
export type Message =
  | { readonly role: "system"; readonly content: string }
  | { readonly role: "user"; readonly content: string }
  | {
      readonly role: "assistant";
      readonly content: string | null;
      readonly toolCalls?: readonly ToolCall[];
    }
  | { readonly role: "tool"; readonly toolCallId: string; readonly content: string };
