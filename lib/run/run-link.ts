import type { SessionRun, WorkflowStorage } from "../session/workflow-storage.js";
import type { SessionState } from "../workflow/workflow.js";
import type { Logger } from "./logger.js";
import type { RunResponse } from "./run-response.js";

/** What a child run (started through `ctx.run` / `ctx.stream`) takes from its parent. */
export interface ParentRun {
  readonly runId: string;
  readonly sessionId: string;
  readonly userId: string | undefined;
  /** The state the parent holds now (it may replace it by assigning `ctx.sessionState`). */
  readonly sessionState: SessionState;
  /** Replaces the parent's state, when a child assigns its `ctx.sessionState`. */
  replaceSessionState(next: SessionState): void;
  readonly history: readonly RunResponse[];
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly debug: boolean;
  readonly historyLimit: number;
  /** Hands the child's final response to the parent, which stores it with its own run. */
  collect(child: RunResponse): void;
  /** The claimed session the parent's run holds (its top-level run's); undefined without a store. */
  readonly binding: SessionRun | undefined;
  /** The id of the parent's next child run, derived from its own (replay finds it again). */
  nextChildRunId(): string;
  /** `resume`'s payloads of the parent's run, by wait name. */
  readonly answers: Readonly<Record<string, unknown>> | undefined;
}

/** Everything a run needs besides the workflow and its input. */
export interface RunSettings {
  readonly sessionId: string | undefined;
  readonly sessionName: string | undefined;
  readonly userId: string | undefined;
  readonly sessionState: SessionState | undefined;
  readonly overwriteSessionState: boolean;
  readonly storage: WorkflowStorage | undefined;
  readonly signal: AbortSignal | undefined;
  readonly extraData: Record<string, unknown> | undefined;
  readonly historyLimit: number;
  readonly logger: Logger;
  readonly debug: boolean;
  readonly parent: ParentRun | undefined;
  /** The run's id when the caller chose it (`options.runId`); a new one otherwise. */
  readonly runId?: string | undefined;
  /** Continue the stored run `runId` (see `recoverRuns`) instead of starting it. */
  readonly adopt?: boolean;
  /** With `adopt`: the run is suspended, and `answers` holds `resume`'s payloads by wait name. */
  readonly resume?: boolean;
  readonly answers?: Readonly<Record<string, unknown>>;
  /** Keep the run's events in the store (see `ExecuteOptions.eventLog`). */
  readonly eventLog?: boolean;
  /** With `adopt`: continued by `recoverRuns` (its process died, or its wait timed out). */
  readonly recovery?: boolean;
  /** With `resume`: the `traceparent` of the suspended run's span, which the new one links to. */
  readonly suspendedSpan?: string | undefined;
}
