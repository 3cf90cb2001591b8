import { type EventBatch, EventPacker } from "../session/event-batch.js";
import type { SessionRun } from "../session/workflow-storage.js";
import type { Logger } from "./logger.js";
import type { WorkflowEvent } from "./run-event.js";

/**
 * How many events a run's log may be behind its stream before the run waits for the log. A run
 * recovered after its process died numbers its events on from this far past its last logged
 * event, since up to this many may have been streamed (and seen) but not logged.
 */
export const logWindow = 32_768;

/** A batch goes out this long after its first event, or at {@link batchSize} events. */
const flushMs = 25;
const batchSize = 16_384;

/** What a run's final save writes of its events. */
export interface LogEnd {
  /** The `seq` of the run's last event. */
  readonly eventSeq: number;
  /** The batches not logged yet, the terminal event last (only for a run that keeps a log). */
  readonly events?: readonly EventBatch[];
  /**
   * The same batches but the terminal event: should the save fail, the run ends again (failed),
   * and they are logged with that end (see {@link RunEventLog.close}).
   */
  readonly retry?: readonly EventBatch[];
}

/**
 * The events of one top-level run: stamps each with its `seq` (counting on from where a
 * continued run stopped) and, for a run that keeps a log, packs them as they come and writes
 * them to the store in batches (every {@link flushMs} ms or {@link batchSize} events, never one
 * per token), the last batch with the run's final save.
 */
export class RunEventLog {
  #seq = 0;
  /**
   * Events stamped before the session opened (it decides whether they are logged); none kept
   * for a run that cannot log (no `eventLog`, and not a continued run that may have logged).
   */
  #early: WorkflowEvent[] | undefined;
  readonly #packer = new EventPacker();
  /** Batches made but not written yet (a write failed): written first, next time. */
  #unwritten: EventBatch[] = [];
  #inFlight = 0;
  #flushing: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #run: SessionRun | undefined;

  constructor(
    private readonly logger: Logger,
    mayLog: boolean,
  ) {
    if (mayLog) this.#early = [];
  }

  /** Gives `event` its `seq` and logs it when the run keeps a log. */
  stamp<E extends WorkflowEvent>(event: E): E {
    const seq = ++this.#seq;
    (event as { seq?: number }).seq = seq;
    if (this.#run !== undefined) this.#push(event, seq);
    else this.#early?.push(event);
    return event;
  }

  /**
   * The session opened: a continued run counts on from its stored `seq` (past the log window
   * when it was recovered), and a run that keeps a log starts writing, its early events first.
   */
  open(session: SessionRun | undefined, recovered: boolean): void {
    const early = this.#early;
    this.#early = undefined;
    if (session === undefined) return;
    const last = session.lastEventSeq;
    if (last !== undefined) {
      const next = last + (recovered && session.logsEvents === true ? logWindow : 0);
      this.#seq = Math.max(this.#seq, next);
    }
    if (session.logsEvents !== true || session.appendEvents === undefined) return;
    this.#run = session;
    for (const event of early ?? []) this.#push(event);
  }

  /** Whether the run keeps a log: known once the session opened. */
  get keepsLog(): boolean {
    return this.#run !== undefined;
  }

  /**
   * `pieces`: the run's text content as it grows, one piece per text delta (see
   * `EventPacker.readTextFrom`): the log reads its deltas' text there instead of copying it.
   */
  readonly readTextFrom = (pieces: readonly string[]): void => {
    this.#packer.readTextFrom(pieces);
  };

  /** Resolves once the log is no more than {@link logWindow} events behind; undefined when it is. */
  caughtUp(): Promise<void> | undefined {
    if (this.#packer.size + this.#inFlight <= logWindow) return undefined;
    return (this.#flushing ?? this.#flush()) as Promise<void>;
  }

  /**
   * Stamps the run's terminal event (when given) and hands over what the final save writes: the
   * last `seq`, and the batches not logged yet (after any batch in flight landed or failed).
   * `unsaved`: the `retry` of an earlier end whose save failed, logged first.
   */
  close(terminal?: WorkflowEvent, unsaved?: readonly EventBatch[]): LogEnd | Promise<LogEnd> {
    if (unsaved !== undefined) this.#unwritten = [...unsaved, ...this.#unwritten];
    if (terminal !== undefined) this.stamp(terminal);
    // A run that keeps no log has nothing to wait for: no promise per run.
    if (this.#run === undefined) return { eventSeq: this.#seq };
    clearTimeout(this.#timer);
    this.#timer = undefined;
    return this.#closeLog();
  }

  async #closeLog(): Promise<LogEnd> {
    await this.#flushing;
    const last = this.#packer.take();
    const unwritten = this.#unwritten;
    this.#unwritten = [];
    if (last === undefined) {
      return unwritten.length === 0
        ? { eventSeq: this.#seq }
        : { eventSeq: this.#seq, events: unwritten, retry: unwritten };
    }
    const body = last.withoutLast();
    const retry = body === undefined ? unwritten : [...unwritten, body];
    return { eventSeq: this.#seq, events: [...unwritten, last], retry };
  }

  #push(event: WorkflowEvent, seq = event.seq ?? 0): void {
    this.#packer.add(event, seq);
    if (this.#packer.size >= batchSize) {
      if (this.#flushing === undefined) this.#flush();
    } else if (this.#timer === undefined) this.#schedule();
  }

  /**
   * Flushes in {@link flushMs}. A method of its own: its arrow function captures `this`, and a
   * function holding one allocates a context on every call, which `#push` (once per token)
   * must not.
   */
  #schedule(): void {
    this.#timer = setTimeout(() => this.#flush(), flushMs);
    this.#timer.unref?.();
  }

  #flush(): Promise<void> | undefined {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const run = this.#run;
    if (this.#flushing !== undefined || run === undefined) return this.#flushing;
    const inFlight = this.#packer.size;
    const made = this.#packer.take();
    const batches = made === undefined ? this.#unwritten : [...this.#unwritten, made];
    this.#unwritten = [];
    if (batches.length === 0) return undefined;
    this.#inFlight = inFlight;
    this.#flushing = (async () => {
      for (const [i, batch] of batches.entries()) {
        try {
          await run.appendEvents?.(batch);
        } catch (error) {
          // Kept for the next flush (or the final save): a reader sees them a little later.
          this.#unwritten = [...batches.slice(i), ...this.#unwritten];
          const message = error instanceof Error ? error.message : String(error);
          this.logger.warn(`Could not log events of a run: ${message}`);
          return;
        }
      }
    })().finally(() => {
      this.#inFlight = 0;
      this.#flushing = undefined;
      const waiting = this.#packer.size > 0 || this.#unwritten.length > 0;
      if (waiting && this.#timer === undefined) this.#schedule();
    });
    return this.#flushing;
  }
}

/** The events of `events`, numbered when the run numbers its events. */
export function* stamped(
  log: RunEventLog | undefined,
  events: readonly WorkflowEvent[],
): Generator<WorkflowEvent> {
  for (const event of events) yield log?.stamp(event) ?? event;
}
