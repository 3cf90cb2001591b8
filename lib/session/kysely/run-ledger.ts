import type { Insertable, Selectable } from "kysely";
import type { RunStatus } from "../../run/run-response.js";
import type { EventTable } from "./event-table.js";
import type { HistoryRow } from "./run-rows.js";
import type { RunTable } from "./run-table.js";
import type { SessionTable } from "./session-table.js";
import type { StepParams } from "./step-queries.js";

/** A session row as read from the database. */
export type SessionRow = Selectable<SessionTable>;

/** A run row as read from the database. */
export type RunRow = Selectable<RunTable>;

/** What a claim writes: the lease, the session row when it is new, and the run's `running` row. */
export interface ClaimWrite {
  readonly sessionId: string;
  readonly runId: string;
  /** The lease holder: unique per claim. */
  readonly owner: string;
  readonly workflowId: string;
  /** Given to the session when it has no user yet. */
  readonly userId: string | null;
  /** Renames the session when set. */
  readonly sessionName: string | null;
  /** The run's input, encoded. */
  readonly input: string;
  /** The session's `workflow_data` when the claim creates it, encoded. */
  readonly workflowData: string;
  /** How many earlier completed runs to read back (0: none). */
  readonly historyLimit: number;
  /**
   * The run after which the caller already knows the history: when the claim finds it is the
   * session's previous run, the history is not read (`Claimed.history` is undefined).
   */
  readonly historyAfter: string | undefined;
  /** An owner of this process whose lease outlived its run: the claim takes it over. */
  readonly takeOver: string | null;
  /** Continue the stored run `runId` (its process died): record no new run, abandon not it. */
  readonly adopt: boolean;
}

/** A claim that got the lease. */
export interface Claimed {
  /** The session row as the claim left it (`run_count` is this run's number in the session). */
  readonly row: SessionRow;
  /** True when the claim created the session. */
  readonly created: boolean;
  /**
   * The last `historyLimit` completed top-level runs, newest first; undefined when the
   * session's previous run is `ClaimWrite.historyAfter` (the caller's history is current).
   */
  readonly history: readonly HistoryRow[] | undefined;
  /** The time stamped on the run's row (`created_at`). */
  readonly startedAt: number;
}

/** The final values of a run's own row. */
export interface RunRowEnd {
  readonly status: RunStatus;
  readonly contentType: string;
  readonly content: string;
  readonly metrics: string;
  readonly messages: string;
  readonly extraData: string;
  readonly error: string | null;
  /** What a suspended run waits for (encoded), else null. */
  readonly waitingFor: string | null;
  /** When the first of its waits times out (epoch ms), else null. */
  readonly wakeAt: number | null;
  /** The `seq` of the run's last event, else null. */
  readonly eventSeq: number | null;
}

/** How a claimed run ends: its row, its child runs' rows, and (completed runs) the state. */
export interface RunEnd {
  readonly sessionId: string;
  readonly runId: string;
  readonly owner: string;
  readonly run: RunRowEnd | undefined;
  readonly children: readonly Insertable<RunTable>[];
  /** The run's last logged events, written in the same transaction. */
  readonly events?: readonly Insertable<EventTable>[];
  /** Present for a completed run: saved only at `version`, and only while `owner` holds the lease. */
  readonly state?: {
    readonly state: string;
    readonly extraData: string | undefined;
    readonly version: number;
  };
}

/**
 * The statements of a run's lifecycle on one database, each step atomic: the claim (lease,
 * abandoned runs, run row, history), the save and the release. `sqliteStorage` runs them as
 * synchronous transactions on cached statements; the Postgres store as one round trip each.
 * Every method may return a plain value instead of a promise (SQLite does).
 */
export interface RunLedger {
  /**
   * Takes the session's lease for `write.owner` when it is free or expired (creating the
   * session if needed), ends the session's previous run as `error` with `abandoned` when it is
   * still `running` (only a run holding the lease can be, so its lease expired), inserts the
   * run's `running` row and reads the history. Undefined when another owner holds a live lease.
   */
  claim(write: ClaimWrite, abandoned: string): Claimed | undefined | Promise<Claimed | undefined>;
  /**
   * Writes the run's end. With `end.state`: saves state and releases the lease only while the
   * session is at `state.version` and `end.owner` holds it, else writes nothing and returns
   * false. Without: writes the rows and releases the lease if `end.owner` still holds it.
   */
  finish(end: RunEnd): boolean | Promise<boolean>;
  /** Journals a step while `params.owner` holds the session's lease; false (nothing written) once it lost it. */
  recordStep(params: StepParams): boolean | Promise<boolean>;
  /** Pushes the lease of `owner` `leaseMs` ahead (no-op when it lost it). */
  renew(sessionId: string, owner: string): unknown;
  /** Gives the lease of `owner` back (no-op when it no longer holds it). */
  release(sessionId: string, owner: string): void | Promise<void>;
}
