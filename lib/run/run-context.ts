import { InvalidOptionError } from "../errors.js";
import type { StepRecord } from "../session/step-record.js";
import type { SessionRun, WorkflowStorage } from "../session/workflow-storage.js";
import { type RunTrace, runTraceKey } from "../tracing/run-trace.js";
import type { StepInfo, StepOptions } from "../workflow/step-options.js";
import type { SessionState, WorkflowLike } from "../workflow/workflow.js";
import type { WorkflowContext } from "../workflow/workflow-context.js";
import { drainToResponse } from "./drain.js";
import { type DurableSteps, durableSteps } from "./durable-steps.js";
import type { Logger } from "./logger.js";
import type { Message } from "./message.js";
import type { RunCancellation } from "./run-cancellation.js";
import type { PendingWait, WorkflowEvent } from "./run-event.js";
import type { ParentRun, RunSettings } from "./run-link.js";
import { addUsage, type RunMetrics } from "./run-metrics.js";
import type { RunRecorder } from "./run-recorder.js";
import type { RunResponse } from "./run-response.js";
import { journal, replayed, runStep } from "./run-step.js";
import { runWait, type WaitOptions } from "./run-wait.js";
import { runWorkflow } from "./run-workflow.js";
import { replacementState } from "./session-binding.js";
import { toWorkflow } from "./to-workflow.js";
import { WorkflowStream } from "./workflow-stream.js";

/** The per-run values of a {@link RunContext}. */
export interface RunContextFields {
  readonly runId: string;
  readonly parentRunId: string | undefined;
  readonly sessionId: string;
  readonly workflowId: string;
  readonly workflowName: string;
  readonly userId: string | undefined;
  readonly history: readonly RunResponse[];
  readonly metrics: RunMetrics;
  /** The run's own state; unused when it has a parent (a child run shares its parent's). */
  readonly sessionState: SessionState;
  readonly parent: ParentRun | undefined;
  readonly cancellation: RunCancellation;
  readonly recorder: RunRecorder;
  readonly settings: RunSettings;
  /** The run's span, when it is traced. */
  readonly trace: RunTrace | undefined;
}

/**
 * `ctx`, the first argument of a workflow: one object per run whose accessors and methods live
 * on the prototype, so a run allocates no closures for it. `run` and `stream` are bound on
 * first use (a destructured `const { run } = ctx` works). It is also the parent link its child
 * runs take their session, state, signal and settings from.
 */
export class RunContext implements WorkflowContext, ParentRun {
  readonly runId: string;
  readonly parentRunId: string | undefined;
  readonly sessionId: string;
  readonly workflowId: string;
  readonly workflowName: string;
  readonly userId: string | undefined;
  readonly history: readonly RunResponse[];
  readonly metrics: RunMetrics;
  #state: SessionState;
  readonly #parent: ParentRun | undefined;
  readonly #cancellation: RunCancellation;
  readonly #recorder: RunRecorder;
  readonly #settings: RunSettings;
  /** Agent calls whose messages the run keeps already. */
  #withMessages: Set<string> | undefined;
  #counted: Set<string> | undefined;
  #run: WorkflowContext["run"] | undefined;
  #stream: WorkflowContext["stream"] | undefined;
  #steps = 0;
  #children = 0;
  #journal: readonly StepRecord[] | undefined;
  #live = false;
  /** How many steps and answered waits are still journaling (a suspension waits for them). */
  #inflight = 0;
  /** What {@link settled} waits for: nothing in flight. */
  #idle: { readonly promise: Promise<void>; readonly resolve: () => void } | undefined;
  /** Counts one piece of work done; one for all of them (made with the first step). */
  #done: (() => void) | undefined;
  /** Step events waiting to join the run's stream (see {@link takeEvents}). */
  #pending: WorkflowEvent[] | undefined;
  #durable: DurableSteps | undefined;
  readonly #trace: RunTrace | undefined;

  constructor(fields: RunContextFields) {
    this.runId = fields.runId;
    this.parentRunId = fields.parentRunId;
    this.sessionId = fields.sessionId;
    this.workflowId = fields.workflowId;
    this.workflowName = fields.workflowName;
    this.userId = fields.userId;
    this.history = fields.history;
    this.metrics = fields.metrics;
    this.#state = fields.sessionState;
    this.#parent = fields.parent;
    this.#cancellation = fields.cancellation;
    this.#recorder = fields.recorder;
    this.#settings = fields.settings;
    this.#trace = fields.trace;
    this.#journal = this.binding?.journal?.get(this.runId);
  }

  /** The state the run saves; a child run's is its parent's. */
  get sessionState(): SessionState {
    return this.#parent === undefined ? this.#state : this.#parent.sessionState;
  }

  /** Replaces the run's state (a plain object, else `UnstorableValueError`). */
  set sessionState(next: SessionState) {
    this.replaceSessionState(replacementState(next));
  }

  get signal(): AbortSignal {
    return this.#cancellation.signal;
  }

  /** Whether the run is cancelled, without making its signal. */
  get aborted(): boolean {
    return this.#cancellation.aborted;
  }

  recordUsage(callId: string, usage: RunMetrics): void {
    this.#counted ??= new Set();
    if (this.#counted.has(callId)) return;
    this.#counted.add(callId);
    addUsage(this.metrics, usage);
  }

  recordMessages(callId: string, messages: readonly Message[]): void {
    this.#withMessages ??= new Set();
    if (this.#withMessages.has(callId)) return;
    this.#withMessages.add(callId);
    this.#recorder.addMessages(messages);
  }

  get run(): WorkflowContext["run"] {
    // Tracked as steps are: a run that suspends or ends waits for its child runs in flight.
    this.#run ??= (child, input) => this.#track(drainToResponse(this.stream(child, input)));
    return this.#run;
  }

  get stream(): WorkflowContext["stream"] {
    this.#stream ??= <I>(child: WorkflowLike<I>, input: I): AsyncIterable<WorkflowEvent> => {
      const workflow = toWorkflow(child);
      return new WorkflowStream(() => runWorkflow(workflow, input, this.#childSettings()));
    };
    return this.#stream;
  }

  step<T>(name: string, fn: (info: StepInfo) => T | Promise<T>, options?: StepOptions): Promise<T> {
    // The position is taken now, synchronously: steps started together keep their order.
    return this.#track(runStep(this, this.#steps++, name, fn, options));
  }

  /** The waits this run could not answer, when it is about to suspend. */
  readonly pendingWaits: PendingWait[] = [];

  waitFor<T>(name: string, options?: WaitOptions<T>): Promise<T> {
    if (this.binding?.recordStep === undefined) {
      return Promise.reject(
        new InvalidOptionError(
          `ctx.waitFor("${name}") needs a run with a store: a suspended run is continued from it`,
        ),
      );
    }
    // The position is taken now, as for steps; answered waits are journaled like steps.
    return this.#track(runWait<T>(this, this.#steps++, name, options));
  }

  /** True while steps, answers or child runs (`ctx.run`) the run started are still in flight. */
  get busy(): boolean {
    return this.#inflight > 0;
  }

  /**
   * Resolves once the steps, answers and child runs in flight have settled, and any their
   * results started (their continuations run before this looks again).
   */
  async settled(): Promise<void> {
    while (this.#inflight > 0) {
      if (this.#idle === undefined) {
        let resolve = () => {};
        const promise = new Promise<void>((settle) => {
          resolve = settle;
        });
        this.#idle = { promise, resolve };
      }
      await this.#idle.promise;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#inflight++;
    this.#done ??= () => {
      if (--this.#inflight === 0 && this.#idle !== undefined) {
        const { resolve } = this.#idle;
        this.#idle = undefined;
        resolve();
      }
    };
    work.then(this.#done, this.#done);
    return work;
  }

  /** `resume`'s payloads for this run's waits (a child run's are its parent's). */
  get answers(): Readonly<Record<string, unknown>> | undefined {
    return this.#settings.answers ?? this.#parent?.answers;
  }

  /** Journaling for agents given this context; only a run with a store has it. */
  get [durableSteps](): DurableSteps | undefined {
    if (this.binding?.recordStep === undefined) return undefined;
    this.#durable ??= {
      begin: (name) => {
        const seq = this.#steps++;
        return { seq, recorded: replayed(this, seq, name) };
      },
      record: (seq, name, kind, output, startedAt) =>
        journal(this, {
          runId: this.runId,
          seq,
          name,
          kind,
          status: "completed",
          output,
          startedAt,
          endedAt: Date.now(),
        }),
    };
    return this.#durable;
  }

  /** The run's span when it is traced (its steps, child runs and agents nest under it). */
  get [runTraceKey](): RunTrace | undefined {
    return this.#trace;
  }

  /** The claimed session: this run's, or its top-level run's for a child run. */
  get binding(): SessionRun | undefined {
    return this.#recorder.binding ?? this.#parent?.binding;
  }

  journaled(seq: number): StepRecord | undefined {
    const journal = this.#journal;
    if (journal === undefined) return undefined;
    const entry = journal[seq]?.seq === seq ? journal[seq] : journal.find((s) => s.seq === seq);
    // The first step not in the journal ends the replay: from there on the run goes live.
    if (entry === undefined) this.#live = true;
    return entry;
  }

  /**
   * True while a continued run replays what it did before (its content was streamed then, so
   * it is not streamed again): until it reaches its first step, wait or turn not journaled.
   */
  get replaying(): boolean {
    return this.#journal !== undefined && !this.#live;
  }

  abort(reason: unknown): void {
    this.#cancellation.abort(reason);
  }

  emit(event: WorkflowEvent): void {
    this.#pending ??= [];
    this.#pending.push(event);
  }

  /** The step events queued since the last call, for the run's stream. */
  takeEvents(): WorkflowEvent[] | undefined {
    const pending = this.#pending;
    this.#pending = undefined;
    return pending;
  }

  /** The id of this run's next child run: derived from its own, so replay finds it again. */
  nextChildRunId(): string {
    return `${this.runId}/${++this.#children}`;
  }

  // ParentRun: what child runs take from this one.

  replaceSessionState(next: SessionState): void {
    if (this.#parent !== undefined) this.#parent.replaceSessionState(next);
    else this.#state = next;
  }

  get logger(): Logger {
    return this.#settings.logger;
  }

  get debug(): boolean {
    return this.#settings.debug;
  }

  get historyLimit(): number {
    return this.#settings.historyLimit;
  }

  collect(child: RunResponse): void {
    this.#recorder.collect(child);
    this.recordUsage(child.runId, child.metrics);
  }

  /** A child run's settings: this run's session, user, signal and logging. */
  #childSettings(): RunSettings {
    return {
      sessionId: this.sessionId,
      sessionName: undefined,
      userId: this.userId,
      sessionState: undefined,
      overwriteSessionState: false,
      storage: undefined as WorkflowStorage | undefined,
      signal: this.signal,
      extraData: undefined,
      historyLimit: this.#settings.historyLimit,
      logger: this.#settings.logger,
      debug: this.#settings.debug,
      parent: this,
    };
  }
}
