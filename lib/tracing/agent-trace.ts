import type { Attributes, Context, Span } from "@opentelemetry/api";
import type { Model, ModelChunk, ModelRequest } from "../models/model.js";
import type { ToolCall } from "../run/message.js";
import type { RunMetrics } from "../run/run-metrics.js";
import { activeSpanContext, activeTracing, type Tracing } from "./otel.js";
import { runTraceOf } from "./run-trace.js";
import { contentValue, endCancelled, endFailed, isCancellation } from "./span-end.js";

/** `SpanKind.CLIENT` and `SpanStatusCode.ERROR`, without importing the API's values. */
const clientKind = 2;
const statusError = 2;

/** What a tool call's span needs of its outcome. */
interface ToolResult {
  readonly isError: boolean;
  readonly content: string;
}

/**
 * The span of one agent call (`invoke_agent <name>`), and the spans of its model calls
 * (`chat <model>`) and tool executions (`execute_tool <name>`), following the GenAI semantic
 * conventions. An agent call holds one only while a real tracer provider is registered.
 */
export class AgentTrace {
  readonly #tracing: Tracing;
  readonly #span: Span;
  readonly #context: Context;
  readonly #provider: string;
  #ended = false;

  constructor(tracing: Tracing, agentName: string, model: Model, parent: Context) {
    this.#tracing = tracing;
    this.#provider = providerOf(model);
    this.#span = tracing.tracer.startSpan(
      `invoke_agent ${agentName}`,
      {
        attributes: {
          "gen_ai.operation.name": "invoke_agent",
          "gen_ai.agent.name": agentName,
          "gen_ai.provider.name": this.#provider,
          "gen_ai.request.model": model.id,
        },
      },
      parent,
    );
    this.#context = tracing.api.trace.setSpan(parent, this.#span);
  }

  /**
   * The model's stream for `request`, as the span of one model call (`chat <model>`) sees it:
   * time to first chunk, response model, token usage, finish reasons; the prompt and the answer
   * only when content recording is on. The model runs with that span active.
   */
  async *chat(model: Model, request: ModelRequest): AsyncGenerator<ModelChunk, void, undefined> {
    const { api, tracer, recordContent } = this.#tracing;
    const attributes: Attributes = {
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": this.#provider,
      "gen_ai.system": this.#provider,
      "gen_ai.request.model": model.id,
    };
    if (recordContent) attributes["gen_ai.input.messages"] = contentValue(request.messages);
    const span = tracer.startSpan(
      `chat ${model.id}`,
      { kind: clientKind, attributes },
      this.#context,
    );
    const context = api.trace.setSpan(this.#context, span);
    const started = performance.now();
    const iterator = api.context.with(context, () => model.stream(request)[Symbol.asyncIterator]());
    let first = true;
    let done = false;
    let text = "";
    let inputTokens: number | undefined;
    let outputTokens: number | undefined;
    const reasons: string[] = [];
    const calls: { id: string; name: string; arguments: string }[] = [];
    try {
      for (;;) {
        const step = await api.context.with(context, iterator.next, iterator);
        if (step.done === true) break;
        const chunk = step.value;
        if (first) {
          first = false;
          const seconds = (performance.now() - started) / 1000;
          span.setAttribute("gen_ai.response.time_to_first_chunk", seconds);
        }
        if (chunk.type === "text-delta") {
          if (recordContent) text += chunk.text;
        } else if (chunk.type === "usage") {
          const { usage } = chunk;
          if (usage.inputTokens !== undefined) inputTokens = (inputTokens ?? 0) + usage.inputTokens;
          if (usage.outputTokens !== undefined) {
            outputTokens = (outputTokens ?? 0) + usage.outputTokens;
          }
        } else if (chunk.type === "finish") {
          reasons.push(chunk.reason);
          span.setAttribute("gen_ai.response.model", chunk.model ?? model.id);
        } else if (recordContent) {
          calls.push({ id: chunk.id, name: chunk.name, arguments: chunk.arguments });
        }
        yield chunk;
      }
      done = true;
      if (inputTokens !== undefined) span.setAttribute("gen_ai.usage.input_tokens", inputTokens);
      if (outputTokens !== undefined) span.setAttribute("gen_ai.usage.output_tokens", outputTokens);
      if (reasons.length > 0) span.setAttribute("gen_ai.response.finish_reasons", reasons);
      if (recordContent) {
        span.setAttribute(
          "gen_ai.output.messages",
          contentValue([{ role: "assistant", content: text, toolCalls: calls }]),
        );
      }
      span.end();
    } catch (error) {
      done = true;
      if (request.signal?.aborted === true || isCancellation(error)) endCancelled(span, error);
      else endFailed(span, error);
      throw error;
    } finally {
      if (!done) {
        // The agent stopped reading (its consumer went away): the call is cancelled.
        endCancelled(span, "The consumer stopped reading");
        await iterator.return?.();
      }
    }
  }

  /**
   * Runs one tool call (`run`) as its span, `execute_tool <name>`, with that span active;
   * `signal` is the agent call's (a rejection once it aborted is a cancellation).
   */
  async tool<R extends ToolResult>(
    call: ToolCall,
    signal: AbortSignal,
    run: () => Promise<R>,
  ): Promise<R> {
    const { api, tracer, recordContent } = this.#tracing;
    const attributes: Attributes = {
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": call.name,
      "gen_ai.tool.call.id": call.id,
      "gen_ai.tool.type": "function",
    };
    if (recordContent) attributes["gen_ai.tool.call.arguments"] = call.arguments;
    const span = tracer.startSpan(`execute_tool ${call.name}`, { attributes }, this.#context);
    try {
      const outcome = await api.context.with(api.trace.setSpan(this.#context, span), run);
      if (recordContent) span.setAttribute("gen_ai.tool.call.result", outcome.content);
      if (outcome.isError) {
        // The model is told the tool failed; the span says so too.
        span.setAttribute("error.type", "tool_error");
        span.setStatus({ code: statusError, message: outcome.content });
      }
      span.end();
      return outcome;
    } catch (error) {
      if (signal.aborted || isCancellation(error)) endCancelled(span, error);
      else endFailed(span, error);
      throw error;
    }
  }

  /** The agent answered: its summed usage and (with content recording) the answer. */
  completed(metrics: RunMetrics, content: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    const span = this.#span;
    if (metrics.inputTokens !== undefined) {
      span.setAttribute("gen_ai.usage.input_tokens", metrics.inputTokens);
    }
    if (metrics.outputTokens !== undefined) {
      span.setAttribute("gen_ai.usage.output_tokens", metrics.outputTokens);
    }
    if (this.#tracing.recordContent) span.setAttribute("buddy.agent.output", contentValue(content));
    span.end();
  }

  /**
   * The agent call failed, was cancelled, or suspended its run to wait for a tool's approval
   * (`Suspension`: not an error; the call is replayed when the run resumes).
   */
  failed(error: unknown, cancelled: boolean): void {
    if (this.#ended) return;
    this.#ended = true;
    if ((error as { name?: unknown } | undefined)?.name === "Suspension") {
      this.#span.setAttribute("buddy.suspended", true);
      this.#span.end();
    } else if (cancelled || isCancellation(error)) endCancelled(this.#span, error);
    else endFailed(this.#span, error);
  }

  /** The agent call is over: a span not ended yet was stopped by its consumer. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    endCancelled(this.#span, "The consumer stopped reading");
  }
}

/**
 * The trace of one agent call, when a real tracer provider is registered (undefined otherwise):
 * under the active span, else under the run whose `ctx` the call was given. The first call of
 * a process may return a promise, while `@opentelemetry/api` loads.
 */
export function traceAgent(
  agentName: string,
  model: Model,
  options: object,
): AgentTrace | undefined | Promise<AgentTrace | undefined> {
  const run = runTraceOf(options);
  const tracing = run?.tracing ?? activeTracing();
  if (tracing === undefined) return undefined;
  const start = (on: Tracing | undefined) => {
    if (on === undefined) return undefined;
    const parent = activeSpanContext(on.api) ?? run?.context ?? on.api.context.active();
    return new AgentTrace(on, agentName, model, parent);
  };
  return tracing instanceof Promise ? tracing.then(start) : start(tracing);
}

/** The GenAI provider name of `model` (`openai`…); `custom` for a model that does not say. */
function providerOf(model: Model): string {
  return typeof model.provider === "string" && model.provider !== "" ? model.provider : "custom";
}
