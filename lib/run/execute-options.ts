import type { WorkflowStorage } from "../session/workflow-storage.js";
import type { SessionState } from "../workflow/workflow.js";
import type { Logger } from "./logger.js";

/**
 * Options of `execute` and `run`; all optional.
 *
 * @example
 * ```ts
 * import { newSessionId, run } from "buddy-ai";
 * import { sqliteStorage } from "buddy-ai/sqlite";
 * const storage = sqliteStorage({ dbFile: "tmp/buddy.db" });
 * await run(async function* hi() { yield "hi"; }, undefined, {
 *   storage,
 *   sessionId: newSessionId(),
 *   sessionState: { tone: "concise" },
 * });
 * ```
 */
export interface ExecuteOptions<S extends SessionState = SessionState> {
  /** The session to run in (default: a new one). Same id + same storage resumes it. */
  sessionId?: string;
  sessionName?: string;
  userId?: string;
  /**
   * Defaults for the session's state. Stored state wins over these (deep merge), unless
   * `overwriteSessionState` is true. Without a storage, the run works on a copy of this object
   * and, when it completes, this object gets the run's final state: a failed or cancelled run
   * leaves it as it was (state changes are all-or-nothing, with a store or without).
   */
  sessionState?: Partial<S>;
  /** Let `sessionState` win over stored state. Default false. */
  overwriteSessionState?: boolean;
  /** Where sessions are loaded from and saved to. Without one nothing is persisted. */
  storage?: WorkflowStorage;
  /** Cancels the run: its generator is closed, in-flight model calls are aborted. */
  signal?: AbortSignal;
  /** Saved with the run's response and with the session. */
  extraData?: Record<string, unknown>;
  /** How many earlier runs `ctx.history` holds (default 10). */
  historyLimit?: number;
  /** Receives warnings and, with `debug`, each event. Default `console`. */
  logger?: Logger;
  /** Log every event through `logger.debug`. */
  debug?: boolean;
  /**
   * The run's id (default: a new one). With a store it makes the run idempotent: a run whose id
   * is already stored is never executed again — a finished one streams `WorkflowStarted` and
   * its stored terminal event, one in flight elsewhere is waited for (up to the store's
   * `busyTimeoutMs`), and one of another workflow fails with `RunIdConflictError`.
   */
  runId?: string;
  /**
   * Keep the run's events in the store (needs `storage`), batched, so a reader in any process
   * can follow it and reconnect without missing one (`storage.listEvents`, and
   * `GET /runs/:runId/events` of `buddy-ai/http`, whose handler sets it). A run continued
   * later (resumed or recovered) keeps logging. Default false.
   */
  eventLog?: boolean;
}

/**
 * The options argument of `execute` and `run`. Optional, unless the workflow's state type
 * declares required keys (`WorkflowContext<{ visits: number }>`): then `sessionState` must give
 * each a default, so `ctx.sessionState` really holds what its type says, even on a session's
 * first run (stored state still wins over the defaults).
 *
 * @example
 * ```ts
 * import { run, type WorkflowContext } from "buddy-ai";
 * async function counter(ctx: WorkflowContext<{ visits: number; tags: string[] }>) {
 *   ctx.sessionState.visits += 1;
 * }
 * await run(counter, undefined, { sessionState: { visits: 0, tags: [] } });
 * // run(counter, undefined) does not type-check: visits and tags have no default.
 * ```
 */
export type RunOptionsArgs<S extends SessionState> =
  Partial<S> extends S
    ? [options?: ExecuteOptions<S>]
    : [options: ExecuteOptions<S> & { sessionState: S }];
