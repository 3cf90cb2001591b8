import type { RunResponse } from "./run-response.js";

/**
 * The names of every event a run can emit; the value of each event's `event` field.
 *
 * @example
 * ```ts
 * import { RunEvent, execute } from "buddy-ai";
 * for await (const e of execute(async function* () { yield "hi"; }, undefined)) {
 *   if (e.event === RunEvent.RunResponseContent) process.stdout.write(String(e.content));
 * }
 * ```
 */
export const RunEvent = {
  WorkflowStarted: "WorkflowStarted",
  WorkflowCompleted: "WorkflowCompleted",
  WorkflowError: "WorkflowError",
  WorkflowCancelled: "WorkflowCancelled",
  RunResponseContent: "RunResponseContent",
  RunStarted: "RunStarted",
  RunCompleted: "RunCompleted",
  RunError: "RunError",
  ToolCallStarted: "ToolCallStarted",
  ToolCallCompleted: "ToolCallCompleted",
  StepStarted: "StepStarted",
  StepCompleted: "StepCompleted",
  WorkflowSuspended: "WorkflowSuspended",
} as const;

/** One of the {@link RunEvent} names. */
export type RunEvent = (typeof RunEvent)[keyof typeof RunEvent];

/** Fields every event carries. The runtime stamps the ids; `createdAt` is epoch milliseconds.
 *
 * @example
 * ```ts
 * import type { EventBase, WorkflowEvent } from "buddy-ai";
 * const ids = ({ runId, sessionId, workflowId, parentRunId }: EventBase) => ({ runId, sessionId, workflowId, parentRunId });
 * const tag = (e: WorkflowEvent) => `${e.event} ${JSON.stringify(ids(e))}`;
 * ```
 */
export interface EventBase {
  readonly runId: string;
  readonly sessionId: string;
  readonly workflowId: string;
  readonly createdAt: number;
  /** Set on events of a child run (`ctx.stream`), to the run id of the run that started it. */
  readonly parentRunId?: string;
  /**
   * On agent events forwarded into a workflow (whose ids they then carry): the agent run's own id,
   * which tells concurrent agent calls of one workflow run apart.
   */
  readonly agentRunId?: string;
  /**
   * The event's 1-based position in its top-level run's stream, stamped by `execute` (and
   * `resume`) on every event they yield; it counts on across a run's resumes and recoveries, so
   * it never means two events of one run. It is the `id` of the event's frame over SSE.
   */
  readonly seq?: number;
}

/**
 * First event of every workflow run.
 *
 * @example
 * ```ts
 * import type { WorkflowEvent } from "buddy-ai";
 * function log(e: WorkflowEvent) {
 *   if (e.event === "WorkflowStarted") console.log(`▶ ${e.workflowName} ${e.runId}`);
 * }
 * ```
 */
export interface WorkflowStartedEvent extends EventBase {
  readonly event: "WorkflowStarted";
  readonly workflowName: string;
}

/**
 * Terminal event of a run that succeeded: the final content and response.
 *
 * @example
 * ```ts
 * import type { WorkflowEvent } from "buddy-ai";
 * function log(e: WorkflowEvent) {
 *   if (e.event === "WorkflowCompleted") console.log(e.content, e.response.status);
 * }
 * ```
 */
export interface WorkflowCompletedEvent<C = unknown> extends EventBase {
  readonly event: "WorkflowCompleted";
  readonly content: C | undefined;
  readonly response: RunResponse<C>;
}

/**
 * Terminal event of a run that failed; the stream then rejects with the original error.
 *
 * @example
 * ```ts
 * import type { WorkflowEvent } from "buddy-ai";
 * function log(e: WorkflowEvent) {
 *   if (e.event === "WorkflowError") console.error(`${e.errorName}: ${e.error}`);
 * }
 * ```
 */
export interface WorkflowErrorEvent extends EventBase {
  readonly event: "WorkflowError";
  /** The error's message. */
  readonly error: string;
  /** The error's `name` (its class), e.g. `"SessionBusyError"`. */
  readonly errorName: string;
}

/**
 * Terminal event of a run stopped by its `signal` or by its consumer.
 *
 * @example
 * ```ts
 * import type { WorkflowEvent } from "buddy-ai";
 * function log(e: WorkflowEvent) {
 *   if (e.event === "WorkflowCancelled") console.log("cancelled:", e.reason);
 * }
 * ```
 */
export interface WorkflowCancelledEvent extends EventBase {
  readonly event: "WorkflowCancelled";
  readonly reason: string;
  /** The content streamed before the cancellation (the stored run keeps it too). */
  readonly content?: unknown;
}

/**
 * What a suspended run waits for: the name of a `ctx.waitFor` and its prompt.
 *
 * @example
 * ```ts
 * import type { PendingWait } from "buddy-ai";
 * const wait: PendingWait = { name: "approval", prompt: { total: 12 } };
 * ```
 */
export interface PendingWait {
  readonly name: string;
  readonly prompt?: unknown;
  /** When the wait times out (epoch ms), for a wait with `timeoutMs`. */
  readonly deadline?: number;
}

/**
 * The terminal event of a run that suspended to wait (`ctx.waitFor`): what it waits for, its
 * content so far, and its response (status `"suspended"`). Continue it with `resume`.
 *
 * @example
 * ```ts
 * import type { WorkflowSuspendedEvent } from "buddy-ai";
 * const ask = (e: WorkflowSuspendedEvent) => e.waitingFor.map((w) => w.name).join(", ");
 * ```
 */
export interface WorkflowSuspendedEvent extends EventBase {
  readonly event: "WorkflowSuspended";
  readonly waitingFor: readonly PendingWait[];
  readonly content: unknown;
  readonly response: RunResponse;
}

/**
 * A content delta: a token of an agent's answer, or what a yielded string or `RunResponse` becomes.
 *
 * @example
 * ```ts
 * import type { WorkflowEvent } from "buddy-ai";
 * function log(e: WorkflowEvent) {
 *   if (e.event === "RunResponseContent") process.stdout.write(String(e.content));
 * }
 * ```
 */
export interface RunResponseContentEvent<C = unknown> extends EventBase {
  readonly event: "RunResponseContent";
  readonly content: C;
  /** Set when an agent produced the delta. */
  readonly agentName?: string;
}

/**
 * An agent run began.
 *
 * @example
 * ```ts
 * import type { WorkflowEvent } from "buddy-ai";
 * function log(e: WorkflowEvent) {
 *   if (e.event === "RunStarted") console.log(`${e.agentName} calls ${e.model}`);
 * }
 * ```
 */
export interface RunStartedEvent extends EventBase {
  readonly event: "RunStarted";
  readonly agentName: string;
  readonly model: string;
}

/**
 * An agent run finished; `response` holds its full content, messages and token usage.
 *
 * @example
 * ```ts
 * import type { WorkflowEvent } from "buddy-ai";
 * function log(e: WorkflowEvent) {
 *   if (e.event === "RunCompleted") console.log(e.agentName, e.response.metrics.totalTokens);
 * }
 * ```
 */
export interface RunCompletedEvent<C = unknown> extends EventBase {
  readonly event: "RunCompleted";
  readonly agentName: string;
  readonly content: C | undefined;
  readonly response: RunResponse<C>;
}

/**
 * An agent run failed; the agent's stream then rejects with the original error.
 *
 * @example
 * ```ts
 * import type { WorkflowEvent } from "buddy-ai";
 * function log(e: WorkflowEvent) {
 *   if (e.event === "RunError") console.error(e.agentName, e.error);
 * }
 * ```
 */
export interface RunErrorEvent extends EventBase {
  readonly event: "RunError";
  readonly agentName: string;
  readonly error: string;
  readonly errorName: string;
}

/**
 * An agent is about to call a tool.
 *
 * @example
 * ```ts
 * import type { WorkflowEvent } from "buddy-ai";
 * function log(e: WorkflowEvent) {
 *   if (e.event === "ToolCallStarted") console.log(`${e.toolName}(${JSON.stringify(e.args)})`);
 * }
 * ```
 */
export interface ToolCallStartedEvent extends EventBase {
  readonly event: "ToolCallStarted";
  readonly agentName: string;
  readonly toolCallId: string;
  readonly toolName: string;
  /** The arguments as the model sent them, parsed from JSON when possible. */
  readonly args: unknown;
}

/**
 * A tool call returned; `isError` is true when the arguments were invalid or the tool threw.
 *
 * @example
 * ```ts
 * import type { WorkflowEvent } from "buddy-ai";
 * function log(e: WorkflowEvent) {
 *   if (e.event === "ToolCallCompleted") console.log(e.toolName, e.isError ? "failed" : "returned", e.result);
 * }
 * ```
 */
export interface ToolCallCompletedEvent extends EventBase {
  readonly event: "ToolCallCompleted";
  readonly agentName: string;
  readonly toolCallId: string;
  readonly toolName: string;
  readonly result: unknown;
  readonly isError: boolean;
}

/**
 * A durable step (`ctx.step`) began running (replayed steps emit nothing).
 *
 * @example
 * ```ts
 * import type { StepStartedEvent } from "buddy-ai";
 * const show = (e: StepStartedEvent) => `step ${e.stepName}…`;
 * ```
 */
export interface StepStartedEvent extends EventBase {
  readonly event: "StepStarted";
  readonly stepName: string;
}

/**
 * A durable step (`ctx.step`) ended, journaled when the run has a store; `error` is set when it
 * failed (after its retries).
 *
 * @example
 * ```ts
 * import type { StepCompletedEvent } from "buddy-ai";
 * const show = (e: StepCompletedEvent) => `${e.stepName} took ${e.durationMs.toFixed(1)} ms`;
 * ```
 */
export interface StepCompletedEvent extends EventBase {
  readonly event: "StepCompleted";
  readonly stepName: string;
  readonly durationMs: number;
  readonly error?: string;
}

/** Events an agent emits from `agent.stream()`.
 *
 * @example
 * ```ts
 * import { agent, type AgentEvent } from "buddy-ai";
 * import { scriptedModel } from "buddy-ai/testing";
 * const writer = agent({ model: scriptedModel(["Hello there"]) });
 * for await (const e of writer.stream("Say hello")) {
 *   const event: AgentEvent = e;
 *   console.log(event.event);
 * }
 * ```
 */
export type AgentEvent =
  | RunStartedEvent
  | RunResponseContentEvent
  | ToolCallStartedEvent
  | ToolCallCompletedEvent
  | RunCompletedEvent
  | RunErrorEvent;

/** Every event a workflow stream can carry: the union, discriminated on `event`.
 *
 * @example
 * ```ts
 * import { type WorkflowEvent, execute } from "buddy-ai";
 * function render(e: WorkflowEvent): string {
 *   switch (e.event) {
 *     case "RunResponseContent":
 *       return String(e.content);
 *     case "WorkflowCompleted":
 *       return `\n(done: ${e.response.status})`;
 *     default:
 *       return "";
 *   }
 * }
 * for await (const e of execute(async function* hi() { yield "hi"; }, undefined)) {
 *   process.stdout.write(render(e));
 * }
 * ```
 */
export type WorkflowEvent<C = unknown> =
  | WorkflowStartedEvent
  | WorkflowCompletedEvent<C>
  | WorkflowErrorEvent
  | WorkflowCancelledEvent
  | WorkflowSuspendedEvent
  | RunResponseContentEvent
  | RunStartedEvent
  | RunCompletedEvent
  | RunErrorEvent
  | ToolCallStartedEvent
  | ToolCallCompletedEvent
  | StepStartedEvent
  | StepCompletedEvent;

const names = new Set<string>(Object.values(RunEvent));

/**
 * True when `value` is an event object with a known `event` name.
 *
 * @example
 * ```ts
 * import { isRunEvent } from "buddy-ai";
 * isRunEvent({ event: "RunResponseContent", content: "x" }); // true
 * ```
 */
export function isRunEvent(value: unknown): value is WorkflowEvent {
  return (
    typeof value === "object" &&
    value !== null &&
    names.has((value as { event?: unknown }).event as string)
  );
}
