import { randomUUID } from "node:crypto";
import type { OpenAI } from "openai";
import type { ModelChunk } from "./model.js";
import { toMetrics } from "./openai-convert.js";
import { InBandError, MalformedEventError, shorten } from "./openai-failures.js";

type StreamChunk = OpenAI.Chat.Completions.ChatCompletionChunk;

interface PendingCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * Reads a streamed answer: each chunk's text is handed back at once; tool-call deltas, usage and
 * the finish reason are gathered and come out, complete, at the end.
 */
export class ChunkAssembler {
  readonly #calls: PendingCall[] = [];
  #finish: string | undefined;
  #usage: OpenAI.CompletionUsage | undefined;
  #model: string | undefined;
  /** The first event received, as JSON (for errors about a stream that made no sense). */
  firstEvent: string | undefined;

  /** `requested`: the model asked for (the finish chunk names the one that answered if another). */
  constructor(private readonly requested?: string) {}

  /** Whether a finish reason arrived: a stream that ends without one was cut off. */
  get finished(): boolean {
    return this.#finish !== undefined;
  }

  /**
   * Takes one streamed chunk; returns its text, if it carries any. An error object sent as an
   * event (vLLM's `{"object":"error"}`) throws `InBandError`; any other event without `choices`
   * throws `MalformedEventError`.
   */
  push(chunk: StreamChunk): string | undefined {
    this.firstEvent ??= shorten(JSON.stringify(chunk));
    if (chunk.usage) this.#usage = chunk.usage;
    this.#model ??= chunk.model;
    if (!Array.isArray(chunk.choices)) {
      if (chunk.usage) return undefined;
      const body = chunk as unknown as Record<string, unknown>;
      if (body.object === "error" || (typeof body.message === "string" && !("id" in body))) {
        throw new InBandError(body);
      }
      throw new MalformedEventError(shorten(JSON.stringify(chunk)));
    }
    const choice = chunk.choices[0];
    if (choice === undefined) return undefined;
    if (choice.finish_reason) this.#finish = choice.finish_reason;
    const delta = choice.delta;
    if (delta?.tool_calls) this.#toolDeltas(delta.tool_calls);
    return delta?.content ?? delta?.refusal ?? undefined;
  }

  /** The closing chunks: complete tool calls in the model's order, usage if sent, finish. */
  end(): ModelChunk[] {
    const out: ModelChunk[] = [];
    for (const call of this.#calls) {
      if (call === undefined) continue;
      out.push({ type: "tool-call", ...call, id: call.id || `call_${randomUUID()}` });
    }
    if (this.#usage) out.push({ type: "usage", usage: toMetrics(this.#usage) });
    const fallback = out.length > 0 && out[0]?.type === "tool-call" ? "tool_calls" : "stop";
    out.push(finish(this.#finish ?? fallback, this.#model, this.requested));
    return out;
  }

  #toolDeltas(deltas: NonNullable<StreamChunk["choices"][number]["delta"]["tool_calls"]>): void {
    for (const d of deltas) {
      const index = this.#indexOf(d);
      let call = this.#calls[index];
      if (call === undefined) {
        call = { id: "", name: "", arguments: "" };
        this.#calls[index] = call;
      }
      if (d.id) call.id = d.id;
      // The name arrives whole, with the call's first delta; later deltas extend the arguments.
      if (d.function?.name && call.name === "") call.name = d.function.name;
      if (d.function?.arguments) call.arguments += d.function.arguments;
    }
  }

  /** The delta's call index; servers that send none start a new call with each new id. */
  #indexOf(d: { index?: number; id?: string }): number {
    if (typeof d.index === "number") return d.index;
    const last = this.#calls.length - 1;
    const current = this.#calls[last];
    if (current === undefined || (d.id !== undefined && d.id !== "" && d.id !== current.id)) {
      return this.#calls.length;
    }
    return last;
  }
}

/** The chunks of a whole (non-streamed) completion. */
export function completionChunks(
  completion: OpenAI.Chat.Completions.ChatCompletion,
  requested?: string,
): ModelChunk[] {
  const out: ModelChunk[] = [];
  const choice = completion.choices[0];
  const text = choice?.message.content ?? choice?.message.refusal;
  if (text) out.push({ type: "text-delta", text });
  for (const call of choice?.message.tool_calls ?? []) {
    if (call.type !== "function") continue;
    const { name, arguments: args } = call.function;
    out.push({ type: "tool-call", id: call.id || `call_${randomUUID()}`, name, arguments: args });
  }
  if (completion.usage) out.push({ type: "usage", usage: toMetrics(completion.usage) });
  out.push(finish(choice?.finish_reason ?? "stop", completion.model, requested));
  return out;
}

/** The finish chunk, naming the model that answered when it is not the one asked for. */
function finish(reason: string, model: string | undefined, requested: string | undefined) {
  return model && model !== requested
    ? { type: "finish" as const, reason, model }
    : { type: "finish" as const, reason };
}
