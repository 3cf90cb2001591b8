import type { StandardSchemaV1 } from "@standard-schema/spec";
import { AbortError } from "../errors.js";
import { absentNulls } from "../models/strict-schema.js";
import { concatenate } from "../run/concatenate.js";
import { notePieces } from "../run/content-pieces.js";
import { durableStepsOf } from "../run/durable-steps.js";
import { newRunId } from "../run/ids.js";
import type { Message, ToolCall } from "../run/message.js";
import type { AgentEvent } from "../run/run-event.js";
import { addUsage, type RunMetrics } from "../run/run-metrics.js";
import { RunResponse } from "../run/run-response.js";
import { Suspension, type WaitOptions } from "../run/run-wait.js";
import { traceAgent } from "../tracing/agent-trace.js";
import type { WorkflowContext } from "../workflow/workflow-context.js";
import type { AgentCallOptions, AgentResponse } from "./agent.js";
import { AgentConfigError, OutputValidationError, ToolLoopLimitError } from "./agent-errors.js";
import type { AgentSpec } from "./agent-spec.js";
import { callTool, parseArgs } from "./call-tool.js";
import { validate } from "./standard-schema.js";
import type { Tool } from "./tool.js";

/**
 * One agent run: model calls and tool rounds until the model answers without calling tools.
 * Every piece of state lives in this call, so one agent serves any number of concurrent runs.
 */
export async function* runAgent<Output>(
  spec: AgentSpec<Output>,
  prompt: string,
  options: AgentCallOptions = {},
): AsyncGenerator<AgentEvent, AgentResponse<Output>, unknown> {
  const runId = newRunId();
  const createdAt = Date.now();
  const agentName = spec.name;
  const stamp = () => ({ runId, sessionId: "", workflowId: "", createdAt: Date.now(), agentName });
  // Our own controller: aborted by the caller's signal, and by us when the consumer stops early.
  const controller = new AbortController();
  const outer = options.signal;
  const onAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) onAbort();
  else outer?.addEventListener("abort", onAbort, { once: true });
  const signal = controller.signal;
  const conversation: Message[] = [...(options.messages ?? []), { role: "user", content: prompt }];
  const metrics: RunMetrics = {};
  let recorded = false;
  const record = () => {
    if (recorded) return;
    recorded = true;
    options.recordUsage?.(runId, { ...metrics });
    options.recordMessages?.(runId, conversation);
  };
  let settled = false;
  const durable = durableStepsOf(options);
  // The call's spans: only while a tracer provider is registered (else nothing is called).
  const traced = traceAgent(agentName, spec.model, options);
  const trace = traced instanceof Promise ? await traced : traced;

  yield { event: "RunStarted", ...stamp(), model: spec.model.id };
  try {
    let text = "";
    // The last round's text, one piece per delta (concatenated once, when the round ends);
    // a replayed round's text is the journal's.
    let pieces: string[] = [];
    let streamed = false;
    for (let round = 0; ; round++) {
      if (signal.aborted) throw abortError(signal);
      text = "";
      pieces = [];
      const calls: ToolCall[] = [];
      const messages: readonly Message[] =
        spec.instructions === undefined
          ? [...conversation]
          : [{ role: "system", content: spec.instructions }, ...conversation];
      const request = {
        messages,
        tools: spec.toolDefinitions,
        signal,
        ...(spec.responseFormat === undefined ? {} : { responseFormat: spec.responseFormat }),
      };
      // With a durable run's ctx, each model turn is a journaled step: replay reuses it.
      const turn = durable?.begin(`${agentName}: model`);
      const recordedTurn = turn?.recorded?.output as RecordedTurn | undefined;
      const turnStarted = Date.now();
      const turnUsage: RunMetrics = {};
      if (recordedTurn !== undefined) {
        text = recordedTurn.text;
        calls.push(...recordedTurn.calls);
        addUsage(metrics, recordedTurn.usage);
      }
      const live =
        recordedTurn === undefined
          ? trace === undefined
            ? spec.model.stream(request)
            : trace.chat(spec.model, request)
          : [];
      for await (const chunk of live) {
        if (chunk.type === "text-delta") {
          pieces.push(chunk.text);
          // The hot path: one flat literal per delta, no spreads.
          yield {
            event: "RunResponseContent",
            runId,
            sessionId: "",
            workflowId: "",
            createdAt: Date.now(),
            agentName,
            content: chunk.text,
          };
        } else if (chunk.type === "tool-call") {
          calls.push({ id: chunk.id, name: chunk.name, arguments: chunk.arguments });
        } else if (chunk.type === "usage") {
          addUsage(metrics, chunk.usage);
          addUsage(turnUsage, chunk.usage);
        }
      }
      streamed = recordedTurn === undefined;
      if (streamed) text = concatenate(pieces);
      if (turn !== undefined && recordedTurn === undefined) {
        const saved: RecordedTurn = { text, calls, usage: turnUsage };
        await durable?.record(turn.seq, `${agentName}: model`, "model", saved, turnStarted);
      }
      if (calls.length === 0) {
        conversation.push({ role: "assistant", content: text });
        break;
      }
      conversation.push({ role: "assistant", content: text || null, toolCalls: calls });
      if (round >= spec.maxToolRounds) throw new ToolLoopLimitError(agentName, spec.maxToolRounds);

      // Calls of tools that need a person's approval wait for it (the run suspends until then).
      const refusals = await approvals(spec.tools, calls, options);
      // With a durable run's ctx, each tool result is a journaled step too: replay reuses it.
      const steps = calls.map((call) => durable?.begin(`${agentName}: tool ${call.name}`));
      for (const [i, call] of calls.entries()) {
        if (steps[i]?.recorded !== undefined) continue;
        yield {
          event: "ToolCallStarted",
          ...stamp(),
          toolCallId: call.id,
          toolName: call.name,
          args: parseArgs(call),
        };
      }
      // Tools of one round run concurrently; their results are reported in the model's order.
      const toolStarted = Date.now();
      const outcomes = calls.map((call, i) => {
        const recordedOutcome = steps[i]?.recorded?.output as ToolOutcome | undefined;
        const refusal = refusals[i];
        if (recordedOutcome !== undefined) return Promise.resolve(recordedOutcome);
        if (refusal !== undefined) return Promise.resolve(refused(refusal));
        if (trace === undefined) return callTool(spec.tools, call, signal);
        return trace.tool(call, signal, () => callTool(spec.tools, call, signal));
      });
      for (const pending of outcomes) pending.catch(() => {});
      for (const [i, call] of calls.entries()) {
        // A tool that ignores its signal must not keep an aborted run waiting.
        const outcome = await untilAborted(outcomes[i] as (typeof outcomes)[number], signal);
        conversation.push({ role: "tool", toolCallId: call.id, content: outcome.content });
        const step = steps[i];
        if (step?.recorded !== undefined) continue;
        if (step !== undefined) {
          const saved: ToolOutcome = {
            content: outcome.content,
            result: outcome.result,
            isError: outcome.isError,
          };
          await durable?.record(
            step.seq,
            `${agentName}: tool ${call.name}`,
            "tool",
            saved,
            toolStarted,
          );
        }
        yield {
          event: "ToolCallCompleted",
          ...stamp(),
          toolCallId: call.id,
          toolName: call.name,
          result: outcome.result,
          isError: outcome.isError,
        };
      }
    }

    const content =
      spec.output === undefined
        ? (text as Output)
        : await parseOutput(spec.output, spec.responseFormat?.schema, agentName, text);
    const response = new RunResponse<Output>({
      content,
      contentType: spec.output === undefined ? "str" : "json",
      runId,
      createdAt,
      status: "completed",
      metrics: { ...metrics, durationMs: Date.now() - createdAt },
      messages: conversation,
    }) as AgentResponse<Output>;
    // Its text content, noted as made of the deltas it streamed (see `notePieces`).
    if (streamed && content === text) notePieces(response, text, pieces);
    settled = true;
    record();
    trace?.completed(metrics, content);
    yield { event: "RunCompleted", ...stamp(), content, response };
    return response;
  } catch (error) {
    settled = true;
    trace?.failed(error, signal.aborted);
    // A wait for approval: the run suspends; this agent run is replayed when it resumes.
    if (error instanceof Suspension) throw error;
    const failure = signal.aborted && !(error instanceof AbortError) ? abortError(signal) : error;
    const named = failure instanceof Error ? failure : new Error(String(failure));
    yield { event: "RunError", ...stamp(), error: named.message, errorName: named.name };
    throw failure;
  } finally {
    outer?.removeEventListener("abort", onAbort);
    // The consumer stopped iterating: cancel the model call and tools still in flight.
    if (!settled) controller.abort(new AbortError(`Agent "${agentName}" run was stopped`));
    record();
    trace?.end();
  }
}

/** The refusal of each call (its reason), or undefined where the call may run. */
async function approvals(
  tools: ReadonlyMap<string, Tool>,
  calls: readonly ToolCall[],
  options: AgentCallOptions,
): Promise<readonly (string | undefined)[]> {
  const asks = calls.map((call) => {
    const rule = tools.get(call.name)?.needsApproval;
    if (rule === undefined || rule === false) return undefined;
    const args = parseArgs(call);
    return rule === true || rule(args) ? { call, args } : undefined;
  });
  if (asks.every((ask) => ask === undefined)) return asks.map(() => undefined);
  const waitFor = (options as Partial<WorkflowContext>).waitFor;
  if (typeof waitFor !== "function") {
    const name = asks.find((ask) => ask !== undefined)?.call.name;
    throw new AgentConfigError(
      `Tool "${name}" needs a person's approval: call the agent with the ctx of a run that has ` +
        "a store (agent.run(prompt, ctx)), so the run can wait for it",
    );
  }
  const answers = await Promise.all(
    asks.map((ask) =>
      ask === undefined
        ? undefined
        : waitFor.call<
            Partial<WorkflowContext>,
            [string, WaitOptions<Approval>],
            Promise<Approval>
          >(options, `approve:${ask.call.id}`, {
            schema: approvalSchema,
            prompt: { toolName: ask.call.name, args: ask.args },
          }),
    ),
  );
  return answers.map((answer) =>
    answer === undefined || answer.approved ? undefined : (answer.reason ?? ""),
  );
}

/** What answers an approval wait: `{ approved: true }` or `{ approved: false, reason? }`. */
interface Approval {
  readonly approved: boolean;
  readonly reason?: string;
}

const approvalSchema: StandardSchemaV1<unknown, Approval> = {
  "~standard": {
    version: 1,
    vendor: "buddy-ai",
    validate(value) {
      const answer = value as { approved?: unknown; reason?: unknown } | null;
      if (typeof answer !== "object" || answer === null || typeof answer.approved !== "boolean") {
        return { issues: [{ message: "expected { approved: boolean, reason?: string }" }] };
      }
      if (answer.reason !== undefined && typeof answer.reason !== "string") {
        return { issues: [{ message: "reason must be a string", path: ["reason"] }] };
      }
      return { value: answer as Approval };
    },
  },
};

/** The tool result the model gets for a call a person refused. */
function refused(reason: string): ToolOutcome {
  const content = `A person refused this tool call${reason === "" ? "." : `: ${reason}`}`;
  return { content, result: content, isError: true };
}

/** A model turn as journaled: its text, its tool calls and its token usage. */
interface RecordedTurn {
  readonly text: string;
  readonly calls: readonly ToolCall[];
  readonly usage: RunMetrics;
}

/** A tool call's outcome as journaled. */
interface ToolOutcome {
  readonly content: string;
  readonly result: unknown;
  readonly isError: boolean;
}

function abortError(signal: AbortSignal): AbortError {
  return new AbortError("The agent run was aborted", { cause: signal.reason });
}

/** `promise`, or a rejection with `AbortError` as soon as `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

async function parseOutput<Output>(
  schema: NonNullable<AgentSpec<Output>["output"]>,
  jsonSchema: Record<string, unknown> | undefined,
  agentName: string,
  text: string,
): Promise<Output> {
  // Some models fence JSON in Markdown even when asked for a schema.
  const json = text
    .trim()
    .replace(/^```(?:json)?\s*\n?/i, "")
    .replace(/\n?```$/, "");
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new OutputValidationError(agentName, text, [
      { message: `not valid JSON (${(error as Error).message})`, path: [] },
    ]);
  }
  // A model in strict mode sends `null` for an optional field it leaves out.
  if (jsonSchema !== undefined) raw = absentNulls(jsonSchema, raw);
  const checked = await validate(schema, raw);
  if ("issues" in checked) throw new OutputValidationError(agentName, text, checked.issues);
  return checked.value;
}
