import type { HistoryRow } from "./run-rows.js";

/** A session's history as a store last left it: valid while no other run came in between. */
export interface CachedHistory {
  /** The run that left it; valid for the claim whose previous run is this one. */
  readonly afterRunId: string;
  /** How many rows were asked for when it was read; `rows` holds every row when it has fewer. */
  readonly limit: number;
  /** The latest completed top-level runs, newest first, at most `limit`. */
  readonly rows: readonly HistoryRow[];
}

/** The largest history (in runs) worth keeping between runs. */
const maxCachedLimit = 100;

/**
 * The history of the sessions this store ran last, so that a session's next run in this process
 * skips reading it back. An entry is used only when the claim proves that no other run (in
 * any process) claimed the session since the run that left it: the claim returns the session's
 * previous run id, which every claim overwrites under the lease. Rows are kept encoded, as
 * stored, and decoded for each run, so runs never share objects. Bounded to `maxSessions`
 * sessions, least recently used first out.
 */
export class HistoryCache {
  readonly #entries = new Map<string, CachedHistory>();
  readonly #maxSessions: number;

  constructor(maxSessions = 1_000) {
    this.#maxSessions = maxSessions;
  }

  /** The cached history of `sessionId`, when it can serve `limit` rows. */
  lookup(sessionId: string, limit: number): CachedHistory | undefined {
    const entry = this.#entries.get(sessionId);
    if (entry === undefined) return undefined;
    if (limit > entry.limit && entry.rows.length >= entry.limit) return undefined;
    return entry;
  }

  /** Run `runId` ended with `rows` (newest first) as the session's history of `limit` runs. */
  remember(sessionId: string, entry: CachedHistory): void {
    this.#entries.delete(sessionId);
    if (entry.limit > maxCachedLimit) return;
    this.#entries.set(sessionId, entry);
    if (this.#entries.size > this.#maxSessions) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }

  /** Drops what is known of `sessionId` (a failed save, a deleted session). */
  forget(sessionId: string): void {
    this.#entries.delete(sessionId);
  }
}
