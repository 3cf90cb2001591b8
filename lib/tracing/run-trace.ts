import type { Attributes, Context, Link, Span } from "@opentelemetry/api";
import type { PendingWait } from "../run/run-event.js";
import type { RunSettings } from "../run/run-link.js";
import type { WorkflowSource } from "../run/workflow-source.js";
import { activeSpanContext, activeTracing, type Tracing } from "./otel.js";
import { contentValue, endCancelled, endFailed, isCancellation } from "./span-end.js";

/** A run's ids, as its span carries them. */
export interface RunTraceIds {
  readonly runId: string;
  readonly sessionId: string;
  readonly workflowId: string;
  readonly parentRunId?: string | undefined;
}

/** How a top-level run came to be (a new run, a resume, a recovery), as its settings say. */
export type RunTraceStart = Pick<RunSettings, "adopt" | "resume" | "recovery" | "suspendedSpan">;

/**
 * The span of one run (`workflow <name>`) and the hooks the run's lifecycle calls: a top-level
 * run makes one only while a real tracer provider is registered ({@link RunTrace.start}), and
 * its child runs take theirs from it ({@link RunTrace.child}). Without one, a run holds
 * `undefined` and calls nothing.
 */
export class RunTrace {
  readonly #tracing: Tracing;
  readonly span: Span;
  /** The active context with this run's span: what the workflow function runs in. */
  readonly context: Context;
  #ended = false;

  private constructor(tracing: Tracing, span: Span, parent: Context) {
    this.#tracing = tracing;
    this.span = span;
    this.context = tracing.api.trace.setSpan(parent, span);
  }

  /**
   * The span of a top-level run: a child of the active span (an HTTP server's, the caller's
   * own), else the root of a new trace.
   */
  static start(
    tracing: Tracing,
    ids: RunTraceIds,
    workflowName: string,
    input: unknown,
    start: RunTraceStart,
  ): RunTrace {
    const { api } = tracing;
    const parent = api.context.active();
    const attributes = runAttributes(ids, workflowName);
    if (start.adopt === true) {
      const resumed = start.resume === true && start.recovery !== true;
      attributes[resumed ? "buddy.run.resumed" : "buddy.run.recovered"] = true;
    }
    if (tracing.recordContent) attributes["buddy.run.input"] = contentValue(input);
    const links = linkTo(tracing, start.suspendedSpan);
    const span = tracing.tracer.startSpan(
      `workflow ${workflowName}`,
      links === undefined ? { attributes } : { attributes, links },
      parent,
    );
    return new RunTrace(tracing, span, parent);
  }

  /** The span of a child run (`ctx.run`, `ctx.stream`): under the active span, else this run's. */
  child(ids: RunTraceIds, workflowName: string, input: unknown): RunTrace {
    const tracing = this.#tracing;
    const parent = activeSpanContext(tracing.api) ?? this.context;
    const attributes = runAttributes(ids, workflowName);
    if (tracing.recordContent) attributes["buddy.run.input"] = contentValue(input);
    const span = tracing.tracer.startSpan(`workflow ${workflowName}`, { attributes }, parent);
    return new RunTrace(tracing, span, parent);
  }

  /** The tracing this run's spans are made with. */
  get tracing(): Tracing {
    return this.#tracing;
  }

  /** Calls the workflow function `fn` (as `self.fn(ctx, input)`) with this run's span active. */
  call<C, I, R>(fn: (ctx: C, input: I) => R, self: unknown, ctx: C, input: I): R {
    return this.#tracing.api.context.with(this.context, fn, self, ctx, input);
  }

  /** `source`, its iterator (if it has one) resumed with this run's span active. */
  source(source: WorkflowSource): WorkflowSource {
    if (source.kind !== "sync" && source.kind !== "async") return source;
    const iterator: unknown = new ActiveIterator(this.#tracing, this.context, source.iterator);
    return source.kind === "sync"
      ? { kind: "sync", iterator: iterator as Iterator<unknown> }
      : { kind: "async", iterator: iterator as AsyncIterator<unknown> };
  }

  /** The span of live step `name` at position `seq`: under the active span, else this run's. */
  step(name: string, seq: number): StepTrace {
    const tracing = this.#tracing;
    const parent = activeSpanContext(tracing.api) ?? this.context;
    const span = tracing.tracer.startSpan(
      `step ${name}`,
      { attributes: { "buddy.step.name": name, "buddy.step.seq": seq } },
      parent,
    );
    return new StepTrace(tracing, span, parent);
  }

  /** The run replays journaled work (a resumed or recovered run). */
  replayed(): void {
    this.span.setAttribute("buddy.run.replayed", true);
  }

  /** The W3C `traceparent` of this run's span (kept with a suspended run, for the link). */
  get traceparent(): string {
    const { traceId, spanId, traceFlags } = this.span.spanContext();
    return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, "0")}`;
  }

  completed(content: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.span.setAttribute("buddy.run.status", "completed");
    if (this.#tracing.recordContent)
      this.span.setAttribute("buddy.run.output", contentValue(content));
    this.span.end();
  }

  /** A run found already stored under its id (`options.runId`): it was not executed again. */
  stored(status: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.span.setAttributes({ "buddy.run.status": status, "buddy.run.deduplicated": true });
    this.span.end();
  }

  suspended(waits: readonly PendingWait[]): void {
    if (this.#ended) return;
    this.#ended = true;
    this.span.setAttributes({
      "buddy.run.status": "suspended",
      "buddy.run.waiting_for": waits.map((w) => w.name),
    });
    this.span.end();
  }

  /** The run failed (`error`), or was cancelled (`cancelled`, with the reason). */
  failed(error: unknown, cancelled: boolean): void {
    if (this.#ended) return;
    this.#ended = true;
    this.span.setAttribute("buddy.run.status", cancelled ? "cancelled" : "error");
    if (cancelled || isCancellation(error)) endCancelled(this.span, error);
    else endFailed(this.span, error);
  }
}

/**
 * An iterator (sync or async) whose `next`, `return` and `throw` run with a context active: it
 * answers what the iterator it wraps answers.
 */
class ActiveIterator {
  readonly #tracing: Tracing;
  readonly #context: Context;
  readonly #inner: Iterator<unknown> | AsyncIterator<unknown>;

  constructor(
    tracing: Tracing,
    context: Context,
    inner: Iterator<unknown> | AsyncIterator<unknown>,
  ) {
    this.#tracing = tracing;
    this.#context = context;
    this.#inner = inner;
  }

  next(value?: unknown): unknown {
    const inner = this.#inner;
    return this.#tracing.api.context.with(this.#context, inner.next, inner, value);
  }

  return(value?: unknown): unknown {
    const inner = this.#inner;
    if (inner.return === undefined) return { done: true, value };
    return this.#tracing.api.context.with(this.#context, inner.return, inner, value);
  }

  throw(error?: unknown): unknown {
    const inner = this.#inner;
    if (inner.throw === undefined) throw error;
    return this.#tracing.api.context.with(this.#context, inner.throw, inner, error);
  }
}

/** The span of one live step: its retries as events, its error, its cancellation. */
export class StepTrace {
  readonly #tracing: Tracing;
  readonly span: Span;
  readonly context: Context;
  #attempts = 1;

  constructor(tracing: Tracing, span: Span, parent: Context) {
    this.#tracing = tracing;
    this.span = span;
    this.context = tracing.api.trace.setSpan(parent, span);
  }

  /** Calls `fn(info)` (an attempt of the step's function) with the step's span active. */
  call<A, T>(fn: (info: A) => T, info: A): T {
    return this.#tracing.api.context.with(this.context, fn, undefined, info);
  }

  /** Attempt `attempt` failed with `error` and the step tries again. */
  retry(attempt: number, error: unknown): void {
    this.#attempts = attempt + 1;
    this.span.addEvent("retry", {
      "buddy.step.attempt": attempt,
      "error.type": error instanceof Error ? error.name : typeof error,
      "exception.message": error instanceof Error ? error.message : String(error),
    });
  }

  /** The step ended: with `error` when it failed (undefined when it succeeded). */
  end(error: unknown): void {
    this.span.setAttribute("buddy.step.attempts", this.#attempts);
    if (error === undefined) this.span.end();
    else endFailed(this.span, error);
  }

  /** The run was cancelled while the step ran. */
  cancelled(reason: unknown): void {
    this.span.setAttribute("buddy.step.attempts", this.#attempts);
    endCancelled(this.span, reason);
  }
}

function runAttributes(ids: RunTraceIds, workflowName: string): Attributes {
  const attributes: Attributes = {
    "buddy.run.id": ids.runId,
    "buddy.session.id": ids.sessionId,
    "buddy.workflow.id": ids.workflowId,
    "buddy.workflow.name": workflowName,
  };
  if (ids.parentRunId !== undefined) attributes["buddy.run.parent_id"] = ids.parentRunId;
  return attributes;
}

/** A link to the span `traceparent` names, when it is a valid one. */
function linkTo(tracing: Tracing, traceparent: string | undefined): Link[] | undefined {
  if (traceparent === undefined) return undefined;
  const context = parseTraceparent(tracing, traceparent);
  if (context === undefined) return undefined;
  return [{ context, attributes: { "buddy.link": "suspended_run" } }];
}

/** A W3C `traceparent` header as a remote span context; undefined when it is not valid. */
export function parseTraceparent(
  tracing: Tracing,
  traceparent: string,
): ReturnType<Span["spanContext"]> | undefined {
  const match = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(
    traceparent.trim().toLowerCase(),
  );
  if (match === null || match[1] === "ff") return undefined;
  const context = {
    traceId: match[2] as string,
    spanId: match[3] as string,
    traceFlags: Number.parseInt(match[4] as string, 16),
    isRemote: true,
  };
  return tracing.api.isSpanContextValid(context) ? context : undefined;
}

/** The key under which a suspended run's `extraData` keeps its span's `traceparent`. */
export const suspendedSpanKey = "buddy.traceparent";

/**
 * The trace of a top-level run, when a real tracer provider is registered: undefined
 * otherwise (the only cost then is this check). The first call of a process may return a
 * promise, while `@opentelemetry/api` loads.
 */
export function traceRun(
  ids: RunTraceIds,
  workflowName: string,
  input: unknown,
  start: RunTraceStart,
): RunTrace | undefined | Promise<RunTrace | undefined> {
  const tracing = activeTracing();
  if (tracing === undefined) return undefined;
  if (tracing instanceof Promise) {
    return tracing.then((on) =>
      on === undefined ? undefined : RunTrace.start(on, ids, workflowName, input, start),
    );
  }
  return RunTrace.start(tracing, ids, workflowName, input, start);
}

/** The key of a run's {@link RunTrace} on its context (for its steps, child runs and agents). */
export const runTraceKey: unique symbol = Symbol("buddy-ai.trace");

/** The run trace `options` carries, when they are a traced run's context. */
export function runTraceOf(options: object): RunTrace | undefined {
  return (options as { [runTraceKey]?: RunTrace })[runTraceKey];
}
