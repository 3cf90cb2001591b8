import type { WorkflowEvent } from "../run/run-event.js";
import type { WorkflowStorage } from "../session/workflow-storage.js";
import { LiveRun } from "./live-run.js";

/**
 * The runs this handler's process produces, by run id. While there are any, it asks the store
 * every `pollMs` whether one of them was asked to cancel from another process, and cancels it.
 */
export class LiveRuns {
  readonly #runs = new Map<string, LiveRun>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly storage: WorkflowStorage,
    private readonly pollMs: number,
  ) {}

  get(runId: string): LiveRun | undefined {
    return this.#runs.get(runId);
  }

  /** Starts producing `stream` (made with the run's signal) as run `runId`. */
  start(runId: string, stream: (signal: AbortSignal) => AsyncIterable<WorkflowEvent>): LiveRun {
    const controller = new AbortController();
    const live = new LiveRun(runId, stream(controller.signal), controller);
    this.#runs.set(runId, live);
    this.#watch();
    void live.ended.finally(() => {
      if (this.#runs.get(runId) === live) this.#runs.delete(runId);
      if (this.#runs.size === 0) this.#stop();
    });
    return live;
  }

  #watch(): void {
    if (this.#timer !== undefined || this.storage.cancelRequested === undefined) return;
    this.#timer = setInterval(() => void this.#poll(), this.pollMs);
    this.#timer.unref?.();
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #poll(): Promise<void> {
    const ids = [...this.#runs.keys()];
    const asked = await this.storage.cancelRequested?.(ids).catch(() => []);
    for (const id of asked ?? []) this.#runs.get(id)?.cancel("Cancelled on request");
  }
}
