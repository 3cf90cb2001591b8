import type { EventBatch } from "../session/event-batch.js";
import type { SessionRun } from "../session/workflow-storage.js";
import type { SessionState } from "../workflow/workflow.js";
import type { LogEnd, RunEventLog } from "./event-log.js";
import type { Logger } from "./logger.js";
import type { Message } from "./message.js";
import type { PendingWait, WorkflowEvent } from "./run-event.js";
import type { ParentRun } from "./run-link.js";
import type { RunResponse } from "./run-response.js";

/**
 * Where a run's outcome goes: to its parent (a child run is stored with the parent's), to the
 * claimed session (state only when it completed), or nowhere without a store.
 */
export class RunRecorder {
  /** The claimed session, once the store handed it over. */
  binding: SessionRun | undefined;
  readonly #children: RunResponse[] = [];
  /** The events of an end whose save failed (see `LogEnd.retry`). */
  #unsaved: readonly EventBatch[] | undefined;
  readonly #startedAt = performance.now();

  constructor(
    private readonly response: RunResponse,
    private readonly parent: ParentRun | undefined,
    private readonly extraData: Record<string, unknown> | undefined,
    private readonly logger: Logger,
  ) {}

  /** True when finishing the run writes somewhere (a parent or a store). */
  get persists(): boolean {
    return this.parent !== undefined || this.binding !== undefined;
  }

  /** An agent call's conversation (prompt, answers, tool calls and results): kept in the run. */
  addMessages(messages: readonly Message[]): void {
    this.response.messages.push(...messages);
  }

  /** A child run ended: it is stored with this run. */
  collect(child: RunResponse): void {
    this.#children.push(child);
  }

  /**
   * The run ended with `terminal`: stamps its duration and end time on its response, then hands
   * `terminal` to the run's event log, which so keeps the response as the stream gives it.
   * Resolves what the final save writes of the log (none without a log).
   */
  end(log: RunEventLog | undefined, terminal: WorkflowEvent): LogEnd | Promise<LogEnd> | undefined {
    this.response.metrics.durationMs = performance.now() - this.#startedAt;
    this.response.finishedAt = Date.now();
    const unsaved = this.#unsaved;
    this.#unsaved = undefined;
    return log?.close(terminal, unsaved);
  }

  /**
   * Hands the ended run's outcome over (see {@link end}); `state` only for a completed run,
   * `log` (the run's last `seq` and unlogged events) only for a top-level run.
   */
  async finish(
    state?: SessionState,
    waitingFor?: readonly PendingWait[],
    log?: LogEnd,
  ): Promise<void> {
    const { response, parent, binding } = this;
    if (parent !== undefined) {
      parent.collect(response);
      return;
    }
    if (binding === undefined) return;
    const runs = [response, ...this.#children];
    const events = { eventSeq: log?.eventSeq, events: log?.events };
    try {
      await binding.finish(
        state !== undefined
          ? { runs, sessionState: state, extraData: this.extraData, ...events }
          : waitingFor !== undefined
            ? { runs, waitingFor, ...events }
            : { runs, ...events },
      );
    } catch (error) {
      // The run ends again (failed): its events, but this end's, are logged with that end.
      this.#unsaved = log?.retry;
      throw error;
    }
  }

  /**
   * Ends the run `completed` with `content` and `state`: hands its terminal event to the run's
   * log, then saves it (a store), hands it to its parent, or gives `state` to `commit` (no store:
   * the caller's own state object). Resolves the terminal event; at once when nothing is awaited.
   */
  complete(
    log: RunEventLog | undefined,
    content: unknown,
    state: SessionState,
    commit?: (state: SessionState) => void,
  ): WorkflowEvent | Promise<WorkflowEvent> {
    const { response } = this;
    response.content = content;
    response.status = "completed";
    const completed: WorkflowEvent = {
      event: "WorkflowCompleted",
      runId: response.runId,
      sessionId: response.sessionId,
      workflowId: response.workflowId,
      parentRunId: response.parentRunId,
      createdAt: Date.now(),
      content,
      response,
    };
    const closing = this.end(log, completed);
    const save = (end: LogEnd | undefined): WorkflowEvent | Promise<WorkflowEvent> => {
      if (this.persists) return this.finish(state, undefined, end).then(() => completed);
      commit?.(state);
      return completed;
    };
    return closing instanceof Promise ? closing.then(save) : save(closing);
  }

  /**
   * Ends the run `suspended` on `waits`, with `content` (what it streamed before the wait): hands
   * its terminal event to the run's log, saves it, and resolves the event.
   */
  async suspend(
    log: RunEventLog | undefined,
    waits: readonly PendingWait[],
    content: unknown,
  ): Promise<WorkflowEvent> {
    const { response } = this;
    response.status = "suspended";
    response.content = content;
    const suspended: WorkflowEvent = {
      event: "WorkflowSuspended",
      ...this.#stamp(),
      waitingFor: waits,
      content,
      response,
    };
    await this.finish(undefined, waits, await this.end(log, suspended));
    return suspended;
  }

  /**
   * Ends the run `cancelled` for `reason`, with `content` (what it streamed before: the user has
   * seen it); records it (see {@link finishQuietly}) and resolves its terminal event.
   */
  async cancel(
    log: RunEventLog | undefined,
    reason: string,
    content: unknown,
  ): Promise<WorkflowEvent> {
    const { response } = this;
    response.status = "cancelled";
    response.error = reason;
    response.content = content;
    const cancelled: WorkflowEvent = {
      event: "WorkflowCancelled",
      ...this.#stamp(),
      reason,
      content,
    };
    await this.finishQuietly(await this.end(log, cancelled));
    return cancelled;
  }

  /** Ends the run `error` with `error`; records it (see {@link finishQuietly}) and resolves its terminal event. */
  async fail(log: RunEventLog | undefined, error: unknown): Promise<WorkflowEvent> {
    const { response } = this;
    response.status = "error";
    response.error = error instanceof Error ? error.message : String(error);
    const failed: WorkflowEvent = {
      event: "WorkflowError",
      ...this.#stamp(),
      error: response.error,
      errorName: error instanceof Error ? error.name : typeof error,
    };
    await this.finishQuietly(await this.end(log, failed));
    return failed;
  }

  /** The run's ids and the time, as its terminal event carries them. */
  #stamp() {
    const { runId, sessionId, workflowId, parentRunId } = this.response;
    return { runId, sessionId, workflowId, parentRunId, createdAt: Date.now() };
  }

  /** Records a failed or cancelled run; a store that fails then only gets a warning. */
  async finishQuietly(log?: LogEnd): Promise<void> {
    try {
      await this.finish(undefined, undefined, log);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn(
        `Could not record run ${this.response.runId} as ${this.response.status}: ${message}`,
      );
    }
  }
}
