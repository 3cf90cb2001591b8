import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { Model } from "../models/model.js";
import type { Message } from "../run/message.js";
import type { AgentEvent } from "../run/run-event.js";
import type { RunMetrics } from "../run/run-metrics.js";
import type { RunResponse } from "../run/run-response.js";
import { AgentConfigError } from "./agent-errors.js";
import { runAgent } from "./agent-loop.js";
import type { AgentSpec } from "./agent-spec.js";
import { toJsonSchema } from "./standard-schema.js";
import type { Tool } from "./tool.js";

/**
 * Options of {@link agent}.
 *
 * @example
 * ```ts
 * import { type AgentOptions, agent } from "buddy-ai";
 * import { scriptedModel } from "buddy-ai/testing";
 * const options: AgentOptions = {
 *   name: "writer",
 *   model: scriptedModel(["A draft."]),
 *   instructions: "Write short, plain sentences.",
 *   maxToolRounds: 5,
 * };
 * const writer = agent(options);
 * ```
 */
export interface AgentOptions<Output = string> {
  /** Shown on the agent's events (`agentName`). Default: `"agent"`. */
  name?: string;
  /** Any {@link Model}: `openai(...)` from `buddy-ai/openai`, `scriptedModel(...)`, your own. */
  model: Model;
  /** Sent first, as the system message of every model call. */
  instructions?: string;
  tools?: readonly Tool[];
  /** A Standard Schema: the answer is requested as JSON matching it, validated, and typed. */
  output?: StandardSchemaV1<unknown, Output>;
  /** Rounds of tool calls allowed in one run before `ToolLoopLimitError`. Default: 10. */
  maxToolRounds?: number;
}

/**
 * Options of one agent call. A workflow's `ctx` fits as is: `writer.stream(prompt, ctx)` is then
 * aborted with the workflow run, and its token usage adds into the run's metrics.
 *
 * @example
 * ```ts
 * import { agent } from "buddy-ai";
 * import { scriptedModel } from "buddy-ai/testing";
 * const chat = agent({ model: scriptedModel(["Hi!", "Fine, thanks."]) });
 * const first = await chat.run("Hello", { signal: AbortSignal.timeout(60_000) });
 * const second = await chat.run("How are you?", { messages: first.messages });
 * console.log(second.content); // "Fine, thanks."
 * ```
 */
export interface AgentCallOptions {
  /** Aborts the call: the in-flight model request is closed and tools see their signal abort. */
  readonly signal?: AbortSignal;
  /** Earlier conversation (e.g. a previous response's `messages`), before the prompt. */
  readonly messages?: readonly Message[];
  /** Receives the run's summed token usage once, when the run ends, under the agent run's id. */
  recordUsage?(callId: string, usage: RunMetrics): void;
  /** Receives the run's conversation once, when it ends (a workflow's `ctx` keeps it). */
  recordMessages?(callId: string, messages: readonly Message[]): void;
}

/**
 * An agent run's response: a `RunResponse` whose `content` is always set (the answer).
 *
 * @example
 * ```ts
 * import { type AgentResponse, agent } from "buddy-ai";
 * import { scriptedModel } from "buddy-ai/testing";
 * const response: AgentResponse = await agent({ model: scriptedModel(["Hi"]) }).run("Hello");
 * console.log(response.content.toUpperCase(), response.metrics.totalTokens);
 * ```
 */
export type AgentResponse<Output = string> = RunResponse<Output> & { content: Output };

/**
 * What `agent.stream()` returns: the run's events, ending with the `RunResponse` as the
 * generator's return value (so `const response = yield* writer.stream(prompt, ctx)` works).
 *
 * @example
 * ```ts
 * import { agent, defineWorkflow } from "buddy-ai";
 * import { scriptedModel } from "buddy-ai/testing";
 * const researcher = agent({ name: "researcher", model: scriptedModel(["Notes."]) });
 * const writer = agent({ name: "writer", model: scriptedModel(["An article."]) });
 * const article = defineWorkflow(async function* article(ctx, topic: string) {
 *   const notes = yield* researcher.stream(`Research ${topic}`, ctx);
 *   yield* writer.stream(`Write from these notes: ${notes.content}`, ctx);
 * });
 * ```
 */
export type AgentStream<Output = string> = AsyncGenerator<
  AgentEvent,
  AgentResponse<Output>,
  unknown
>;

/**
 * An agent made by {@link agent}: immutable, safe to share across concurrent runs.
 *
 * @example
 * ```ts
 * import { type Agent, agent } from "buddy-ai";
 * import { scriptedModel } from "buddy-ai/testing";
 * const writer: Agent = agent({ name: "writer", model: scriptedModel(["a", "b"]) });
 * const [a, b] = await Promise.all([writer.run("one"), writer.run("two")]);
 * console.log(writer.name, a.content, b.content);
 * ```
 */
export interface Agent<Output = string> {
  readonly name: string;
  readonly model: Model;
  readonly instructions: string | undefined;
  readonly tools: readonly Tool[];
  readonly maxToolRounds: number;
  /** Runs the agent to the end; `content` is the answer (the parsed value with `output`). */
  run(prompt: string, options?: AgentCallOptions): Promise<AgentResponse<Output>>;
  /**
   * Streams the run's events: `RunStarted`, `RunResponseContent` deltas (of every model call,
   * tool rounds included), `ToolCallStarted`/`ToolCallCompleted`, then `RunCompleted` with the
   * response; on failure `RunError`, then the iteration rejects with the original error.
   * Nothing happens until it is iterated; stopping early cancels the run.
   */
  stream(prompt: string, options?: AgentCallOptions): AgentStream<Output>;
}

/**
 * Defines an agent: a model with instructions, tools and (optionally) a structured output.
 *
 * @example
 * ```ts
 * import { agent, defineWorkflow } from "buddy-ai";
 * import { openai } from "buddy-ai/openai";
 * import { z } from "zod";
 *
 * const writer = agent({ name: "writer", model: openai("gpt-4o-mini"), instructions: "Be brief." });
 * const answer = await writer.run("Explain WAL mode in one sentence.");
 * console.log(answer.content, answer.metrics.totalTokens ?? "usage not reported");
 *
 * const extractor = agent({ model: openai("gpt-4o-mini"), output: z.object({ title: z.string() }) });
 * const { content } = await extractor.run("Title for an article on SQLite?");
 * console.log(content?.title);
 *
 * // Inside a workflow: events stream out, the run's signal aborts the call, usage adds up.
 * const article = defineWorkflow(async function* article(ctx, topic: string) {
 *   yield* writer.stream(`Write about ${topic}`, ctx);
 * });
 * ```
 */
export function agent<Output = string>(options: AgentOptions<Output>): Agent<Output> {
  const spec = prepare(options);
  const value: Agent<Output> = {
    name: spec.name,
    model: spec.model,
    instructions: spec.instructions,
    tools: [...spec.tools.values()],
    maxToolRounds: spec.maxToolRounds,
    async run(prompt, callOptions) {
      const events = runAgent(spec, prompt, callOptions);
      for (;;) {
        const step = await events.next();
        if (step.done) return step.value;
      }
    },
    stream: (prompt, callOptions) => runAgent(spec, prompt, callOptions),
  };
  return Object.freeze(value);
}

function prepare<Output>(options: AgentOptions<Output>): AgentSpec<Output> {
  const name = options.name ?? "agent";
  const { model, output } = options;
  if (model === undefined || typeof model.stream !== "function") {
    throw new AgentConfigError(
      `Agent "${name}" needs a \`model\`, e.g. openai("gpt-4o-mini") from "buddy-ai/openai"`,
    );
  }
  const maxToolRounds = options.maxToolRounds ?? 10;
  if (!Number.isInteger(maxToolRounds) || maxToolRounds < 0) {
    throw new AgentConfigError(
      `Agent "${name}": maxToolRounds must be a whole number ≥ 0, got ${maxToolRounds}`,
    );
  }
  const tools = new Map<string, Tool>();
  for (const t of options.tools ?? []) {
    if (tools.has(t.name)) {
      throw new AgentConfigError(`Agent "${name}" has two tools named "${t.name}"; rename one`);
    }
    tools.set(t.name, t);
  }
  return {
    name,
    model,
    instructions: options.instructions,
    tools,
    toolDefinitions: [...tools.values()].map((t) => ({
      name: t.name,
      description: t.description,
      parameters: t.jsonSchema,
    })),
    output,
    responseFormat:
      output === undefined
        ? undefined
        : { name: "output", schema: toJsonSchema(output, `Agent "${name}" output`) },
    maxToolRounds,
  };
}
