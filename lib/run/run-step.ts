import {
  InvalidOptionError,
  LeaseLostError,
  NonDeterminismError,
  ReplayedStepError,
} from "../errors.js";
import type { StepRecord, StepWrite } from "../session/step-record.js";
import type { SessionRun } from "../session/workflow-storage.js";
import { runTraceOf } from "../tracing/run-trace.js";
import type { StepInfo, StepOptions } from "../workflow/step-options.js";
import { pause } from "./pause.js";
import type { WorkflowEvent } from "./run-event.js";

/** What a step needs of its run. */
export interface StepHost {
  readonly runId: string;
  readonly sessionId: string;
  readonly workflowId: string;
  readonly parentRunId: string | undefined;
  /** The run's signal (made on first use: most steps never read it). */
  readonly signal: AbortSignal;
  /** Whether the run is cancelled (without making its signal). */
  readonly aborted: boolean;
  /** The claimed session (a child run's is its top-level run's); undefined without a store. */
  readonly binding: SessionRun | undefined;
  /** This run's journaled step at `seq`, when the run is replayed. */
  journaled(seq: number): StepRecord | undefined;
  /** Queues an event for the run's stream. */
  emit(event: WorkflowEvent): void;
  /** Aborts the run's signal with `reason` (the run lost its claim: its other work stops). */
  abort(reason: unknown): void;
}

/**
 * One `ctx.step` call at position `seq` of its run: replayed from the journal when it is there,
 * else run (with its retries), journaled, and announced with `StepStarted` / `StepCompleted`.
 */
/** The journal entry at `seq` for a step called `name` (replay), checked against the name. */
export function replayed(host: StepHost, seq: number, name: string): StepRecord | undefined {
  const recorded = host.journaled(seq);
  if (recorded !== undefined && recorded.name !== name) {
    throw new NonDeterminismError(host.runId, seq, recorded.name, name);
  }
  return recorded;
}

export async function runStep<T>(
  host: StepHost,
  seq: number,
  name: string,
  fn: (info: StepInfo) => T | Promise<T>,
  options: StepOptions | undefined,
): Promise<T> {
  const recorded = replayed(host, seq, name);
  if (recorded !== undefined) {
    if (recorded.status === "error") {
      throw new ReplayedStepError(name, recorded.error ?? { name: "Error", message: "" });
    }
    return recorded.output as T;
  }
  const { attempts, backoffMs } = options === undefined ? noRetry : retryOf(name, options);
  // A traced run's context carries its span: a live step gets one under it.
  const span = runTraceOf(host)?.step(name, seq);
  try {
    const startedAt = Date.now();
    const started = performance.now();
    host.emit(stepStarted(host, startedAt, name));
    let output: T | undefined;
    let failure: unknown;
    let failed = false;
    for (let attempt = 1; ; attempt++) {
      if (host.aborted) host.signal.throwIfAborted();
      try {
        const info = new Attempt(host, attempt, seq);
        const result = span === undefined ? fn(info) : span.call(fn, info);
        // A plain value needs no await (most steps' functions are synchronous or return one).
        output = isThenable(result) ? await result : result;
        failed = false;
        break;
      } catch (error) {
        failed = true;
        failure = error;
        if (attempt >= attempts || host.aborted) break;
        span?.retry(attempt, error);
        await pause(backoffMs * 2 ** (attempt - 1), host.signal);
      }
    }
    // A step cut short by the run's cancellation did not end: replay runs it again.
    if (host.aborted) host.signal.throwIfAborted();
    const endedAt = Date.now();
    const error = failed ? describeError(failure) : undefined;
    const binding = host.binding;
    if (binding?.recordStep !== undefined) {
      try {
        await binding.recordStep({
          runId: host.runId,
          seq,
          name,
          kind: "step",
          status: failed ? "error" : "completed",
          output: failed ? undefined : output,
          error,
          startedAt,
          endedAt,
        });
      } catch (error) {
        // A run that lost its claim stops (its signal aborts its other work).
        if (error instanceof LeaseLostError) host.abort(error);
        throw error;
      }
    }
    host.emit(stepCompleted(host, endedAt, name, performance.now() - started, error?.message));
    if (failed) throw failure;
    span?.end(undefined);
    return output as T;
  } catch (error) {
    if (span !== undefined) {
      if (host.aborted) span.cancelled(error);
      else span.end(error);
    }
    throw error;
  }
}

/** `StepStarted`, with the run's ids (and its parent's, for a child run). */
function stepStarted(host: StepHost, createdAt: number, stepName: string): WorkflowEvent {
  const { runId, sessionId, workflowId, parentRunId } = host;
  return parentRunId === undefined
    ? { event: "StepStarted", runId, sessionId, workflowId, createdAt, stepName }
    : { event: "StepStarted", runId, sessionId, workflowId, parentRunId, createdAt, stepName };
}

/** `StepCompleted` (with `error` when the step failed), with the run's ids. */
function stepCompleted(
  host: StepHost,
  createdAt: number,
  stepName: string,
  durationMs: number,
  error: string | undefined,
): WorkflowEvent {
  const { runId, sessionId, workflowId, parentRunId } = host;
  const event = "StepCompleted";
  const done: WorkflowEvent =
    parentRunId === undefined
      ? { event, runId, sessionId, workflowId, createdAt, stepName, durationMs }
      : { event, runId, sessionId, workflowId, parentRunId, createdAt, stepName, durationMs };
  return error === undefined ? done : { ...done, error };
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as PromiseLike<T>).then === "function"
  );
}

/** Journals `step` when the run has a store; a run that lost its claim stops (signal aborted). */
export async function journal(host: StepHost, step: StepWrite): Promise<void> {
  try {
    await host.binding?.recordStep?.(step);
  } catch (error) {
    if (error instanceof LeaseLostError) host.abort(error);
    throw error;
  }
}

/**
 * What one attempt of a step's function gets; the run's signal and the idempotency key are made
 * only when read.
 */
class Attempt implements StepInfo {
  readonly #host: StepHost;
  readonly #seq: number;
  constructor(
    host: StepHost,
    readonly attempt: number,
    seq: number,
  ) {
    this.#host = host;
    this.#seq = seq;
  }

  get signal(): AbortSignal {
    return this.#host.signal;
  }

  /** The same on every replay of the run: its id and the step's position. */
  get idempotencyKey(): string {
    return `${this.#host.runId}:${this.#seq}`;
  }
}

/** A step without retry options: one attempt. */
const noRetry = { attempts: 1, backoffMs: 100 };

function retryOf(name: string, options: StepOptions | undefined) {
  const attempts = options?.retry?.attempts ?? 1;
  const backoffMs = options?.retry?.backoffMs ?? 100;
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new InvalidOptionError(
      `Step "${name}": retry.attempts must be a whole number ≥ 1 (tries in all), got ${attempts}`,
    );
  }
  if (!Number.isFinite(backoffMs) || backoffMs < 0) {
    throw new InvalidOptionError(
      `Step "${name}": retry.backoffMs must be a number of milliseconds ≥ 0, got ${backoffMs}`,
    );
  }
  return { attempts, backoffMs };
}

function describeError(error: unknown): { name: string; message: string } {
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: "Error", message: String(error) };
}
