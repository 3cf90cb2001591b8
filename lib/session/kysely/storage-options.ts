/**
 * One SQL statement a store ran, as reported to {@link StorageOptions.onQuery}.
 *
 * @example
 * ```ts
 * import type { QueryLogEvent } from "buddy-ai";
 * import { sqliteStorage } from "buddy-ai/sqlite";
 * const slow: QueryLogEvent[] = [];
 * const storage = sqliteStorage({
 *   dbFile: "tmp/buddy.db",
 *   onQuery: (event) => {
 *     if (event.durationMs > 50) slow.push(event);
 *   },
 * });
 * ```
 */
export interface QueryLogEvent {
  readonly sql: string;
  readonly parameters: readonly unknown[];
  readonly durationMs: number;
  /** Set when the statement failed. */
  readonly error?: unknown;
}

/**
 * Options every session store accepts.
 *
 * @example
 * ```ts
 * import { sqliteStorage } from "buddy-ai/sqlite";
 * const storage = sqliteStorage({
 *   dbFile: "tmp/buddy.db",
 *   tableName: "support_sessions", // runs go to support_sessions_runs
 *   busyTimeoutMs: 5_000,          // wait at most 5 s for a busy session
 *   leaseMs: 10_000,               // a crashed process frees its session after 10 s
 * });
 * ```
 */
export interface StorageOptions {
  /**
   * The sessions table; runs go to `<tableName>_runs`. A plain identifier (letters, digits,
   * underscores). Default `"buddy_sessions"`.
   */
  tableName?: string;
  /**
   * How long a run waits for its session while another run holds it, before failing with
   * `SessionBusyError` (ms). Default 30 000.
   */
  busyTimeoutMs?: number;
  /**
   * How long a run's claim on its session lasts without renewal (ms); renewed every third of
   * it while the run is in flight. When a process dies mid-run, its session is free again after
   * at most this long. Default 15 000.
   */
  leaseMs?: number;
  /**
   * How long the event logs of ended runs are kept (ms): runs served over HTTP keep their events
   * in the store so a reader can reconnect; logs of runs that ended longer ago than this are
   * deleted (checked at most every ten minutes, when a logged run starts). Default 7 days.
   */
  eventRetentionMs?: number;
  /**
   * Called after every SQL statement the store runs, for debugging and measuring; transaction
   * control (begin, commit, rollback) is not reported.
   */
  onQuery?: (event: QueryLogEvent) => void;
}
