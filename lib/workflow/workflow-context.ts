import type { Message } from "../run/message.js";
import type { WorkflowEvent } from "../run/run-event.js";
import type { RunMetrics } from "../run/run-metrics.js";
import type { RunResponse } from "../run/run-response.js";
import type { WaitOptions } from "../run/run-wait.js";
import type { StepInfo, StepOptions } from "./step-options.js";
import type { WorkflowLike } from "./workflow.js";

/**
 * The first argument of a workflow function: ids, the session's state and history, the run's
 * signal, and helpers to run other workflows as children of this run.
 *
 * Pass `ctx` as an agent call's options (`writer.stream(prompt, ctx)`) so the call is aborted
 * with the run and its token usage adds into the run's metrics.
 *
 * @example
 * ```ts
 * import { RunResponse, defineWorkflow } from "buddy-ai";
 * const counter = defineWorkflow(async function counter(ctx) {
 *   const visits = Number(ctx.sessionState.visits ?? 0) + 1;
 *   ctx.sessionState.visits = visits;
 *   return new RunResponse({ content: `visit ${visits} of session ${ctx.sessionId}` });
 * });
 * ```
 */
export interface WorkflowContext<S extends Record<string, unknown> = Record<string, unknown>> {
  readonly runId: string;
  /** Set when this run was started by another run through `ctx.run` / `ctx.stream`. */
  readonly parentRunId: string | undefined;
  readonly sessionId: string;
  readonly workflowId: string;
  readonly workflowName: string;
  readonly userId: string | undefined;
  /**
   * The session's state: mutate it freely, or assign a new plain object (`ctx.sessionState =
   * { ...ctx.sessionState, visits: 1 }`); what it holds when the run completes is saved. Child
   * runs share it, replacements included.
   */
  sessionState: S;
  /** Earlier completed runs of this session, oldest first, newest last (up to `historyLimit`). */
  readonly history: readonly RunResponse[];
  /** Aborted when the run is cancelled (by the caller's signal or by the consumer stopping). */
  readonly signal: AbortSignal;
  /** The run's live metrics; agents add their token usage through {@link recordUsage}. */
  readonly metrics: RunMetrics;
  /**
   * Adds a model call's token usage to the run's metrics, once per `callId` (agents call it when
   * given `ctx` as options; usage of agent events forwarded into the stream is added too).
   */
  recordUsage(callId: string, usage: RunMetrics): void;
  /**
   * Keeps a model call's conversation (prompt, answers, tool calls and results) in the run's
   * record (`RunResponse.messages`), once per `callId`: agents given `ctx` call it when they end,
   * and agent runs forwarded into the stream are kept too.
   */
  recordMessages(callId: string, messages: readonly Message[]): void;
  /**
   * Runs `child` in this session (same state object) and resolves its final response. Like a
   * step, a child run this run started is waited for before this run ends or suspends.
   */
  run<I>(child: WorkflowLike<I>, input: I): Promise<RunResponse>;
  /**
   * Streams `child` in this session; `yield* ctx.stream(child, input)` forwards its events (each
   * with `parentRunId`) and its content deltas count toward this run's content.
   */
  stream<I>(child: WorkflowLike<I>, input: I): AsyncIterable<WorkflowEvent>;
  /**
   * Runs `fn` once per run as the run's next step, and journals its result (or its error's name
   * and message) in the store before resolving. When the run is replayed (continued after its
   * process died), a journaled step resolves to its recorded result (or fails as it did)
   * without running `fn` again. Steps are told apart by the order they are called in, and
   * checked by name: a different name there fails the run with `NonDeterminismError`. Without
   * a store, `fn` just runs. Emits `StepStarted` and `StepCompleted` when it runs.
   */
  step<T>(name: string, fn: (info: StepInfo) => T | Promise<T>, options?: StepOptions): Promise<T>;
  /**
   * Waits for an answer from outside the run (a person's approval, a correction). The first
   * time, the run suspends: its stream ends with `WorkflowSuspended`, it is stored as
   * `suspended`, and its session is free for other runs; `resume(workflow, runId, { [name]:
   * payload })` continues it, in any process, by replay, and this call then resolves to the
   * payload (checked with `schema`). Needs a store. Do not catch what it throws while waiting.
   */
  waitFor<T = unknown>(name: string, options?: WaitOptions<T>): Promise<T>;
}
