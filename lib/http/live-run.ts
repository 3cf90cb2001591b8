import type { WorkflowEvent } from "../run/run-event.js";
import type { RunResponse } from "../run/run-response.js";

/** How a run ended, as its terminal event tells it. */
export type RunEnding = Extract<
  WorkflowEvent,
  {
    event: "WorkflowCompleted" | "WorkflowError" | "WorkflowCancelled" | "WorkflowSuspended";
  }
>;

/** True for the event that ends a top-level run's stream (not a child run's). */
export function isEnding(event: WorkflowEvent): event is RunEnding {
  if (event.parentRunId !== undefined) return false;
  return (
    event.event === "WorkflowCompleted" ||
    event.event === "WorkflowError" ||
    event.event === "WorkflowCancelled" ||
    event.event === "WorkflowSuspended"
  );
}

/**
 * A run this process produces for the handler: it runs to its end whoever listens (a client
 * that goes away only stops listening), keeps its events in memory while it runs, and lets any
 * number of readers follow it from any `seq`.
 */
export class LiveRun {
  readonly events: WorkflowEvent[] = [];
  /** Resolves with the terminal event (or the failure that ended the stream without one). */
  readonly ended: Promise<RunEnding | Error>;
  /** What the stream threw after its terminal event, if anything. */
  failure: unknown;
  #wake: (() => void) | undefined;
  #done = false;

  constructor(
    readonly runId: string,
    stream: AsyncIterable<WorkflowEvent>,
    private readonly controller: AbortController,
  ) {
    this.ended = this.#produce(stream);
  }

  get done(): boolean {
    return this.#done;
  }

  /** Cancels the run (its signal aborts with `reason`). */
  cancel(reason: string): void {
    this.controller.abort(new DOMException(reason, "AbortError"));
  }

  /** The run's events after `after`, live until its end; returning stops only this reader. */
  async *follow(after = 0): AsyncGenerator<WorkflowEvent> {
    let i = this.events.findIndex((e) => (e.seq ?? 0) > after);
    if (i < 0) i = this.events.length;
    for (;;) {
      while (i < this.events.length) yield this.events[i++] as WorkflowEvent;
      if (this.#done) return;
      await new Promise<void>((resolve) => {
        const previous = this.#wake;
        this.#wake = () => {
          previous?.();
          resolve();
        };
      });
    }
  }

  async #produce(stream: AsyncIterable<WorkflowEvent>): Promise<RunEnding | Error> {
    let ending: RunEnding | Error = new Error("The run ended without a terminal event");
    try {
      for await (const event of stream) {
        this.events.push(event);
        if (isEnding(event)) ending = event;
        this.#notify();
      }
    } catch (error) {
      // The terminal event (WorkflowError, WorkflowCancelled) carries what readers need; after
      // WorkflowSuspended, the failure is a resume whose answer was refused.
      this.failure = error;
      if (!(ending instanceof Error)) return ending;
      ending = error instanceof Error ? error : new Error(String(error));
    } finally {
      this.#done = true;
      this.#notify();
    }
    return ending;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** The final response a terminal event carries, when it carries one. */
export function endingResponse(ending: RunEnding): RunResponse | undefined {
  return ending.event === "WorkflowCompleted" || ending.event === "WorkflowSuspended"
    ? ending.response
    : undefined;
}
