import type { PendingWait } from "../run/run-event.js";
import type { RunResponse } from "../run/run-response.js";
import type { EventBatch } from "./event-batch.js";
import type { StepRecord, StepWrite } from "./step-record.js";
import type { StoredEvent } from "./stored-event.js";
import type { WorkflowSession } from "./workflow-session.js";

/**
 * Filters for {@link WorkflowStorage.listSessions}.
 *
 * @example
 * ```ts
 * import type { ListSessionsOptions } from "buddy-ai";
 * import { sqliteStorage } from "buddy-ai/sqlite";
 * const filter: ListSessionsOptions = { workflowId: "article", userId: "u-1", limit: 20 };
 * const sessions = await sqliteStorage({ dbFile: "tmp/buddy.db" }).listSessions(filter);
 * ```
 */
export interface ListSessionsOptions {
  workflowId?: string;
  userId?: string;
  /** At most this many sessions (newest first). */
  limit?: number;
}

/**
 * What the runtime asks of a store when a run starts.
 *
 * @example
 * ```ts
 * import type { OpenRunRequest, WorkflowStorage } from "buddy-ai";
 * // What a custom store receives when a run starts:
 * async function claim(storage: WorkflowStorage, request: OpenRunRequest) {
 *   const run = await storage.openRun(request);
 *   return run.session?.sessionState ?? {};
 * }
 * ```
 */
export interface OpenRunRequest {
  readonly sessionId: string;
  readonly runId: string;
  readonly workflowId: string;
  readonly workflowData: { readonly name: string; readonly description: string | undefined };
  readonly userId: string | undefined;
  readonly sessionName: string | undefined;
  readonly input: unknown;
  /** How many earlier runs to load into `history` (newest last). */
  readonly historyLimit: number;
  /** Gives up waiting for a busy session when aborted. */
  readonly signal: AbortSignal | undefined;
  /**
   * Set to continue the stored run `runId`, still `running` (its process died): the claim takes
   * its session, records no new run, and `SessionRun.journal` holds what it journaled.
   */
  readonly adopt?: boolean;
  /**
   * With `adopt`: the run is suspended (waiting for `resume`) rather than interrupted; the claim
   * takes it only from `suspended` (`RunNotSuspendedError` otherwise: one resume proceeds).
   */
  readonly resume?: boolean;
  /**
   * Keep the run's events in the store (`SessionRun.appendEvents`, `RunOutcome.events`), for
   * readers in any process (`listEvents`). A continued run keeps logging when it logged before.
   */
  readonly eventLog?: boolean;
}

/**
 * How a run ended, handed to {@link SessionRun.finish}.
 *
 * @example
 * ```ts
 * import { RunResponse, type RunOutcome, type SessionRun } from "buddy-ai";
 * // A completed run hands its state; a failed or cancelled one only its run records.
 * async function complete(session: SessionRun, response: RunResponse, state: Record<string, unknown>) {
 *   const outcome: RunOutcome = { runs: [response], sessionState: state };
 *   await session.finish(outcome);
 * }
 * ```
 */
export interface RunOutcome {
  /**
   * The run itself, then every child run it started (each with `parentRunId`), with final
   * `status`, `content`, `metrics` and `error`.
   */
  readonly runs: readonly RunResponse[];
  /** The state to save; present only when the run completed. Absent: stored state is untouched. */
  readonly sessionState?: Record<string, unknown>;
  /** Session extra data to save alongside the state (completed runs only). */
  readonly extraData?: Record<string, unknown>;
  /** What the run waits for, when it suspended (status `"suspended"`). */
  readonly waitingFor?: readonly PendingWait[];
  /** The `seq` of the run's last event, so a resumed run counts on from it. */
  readonly eventSeq?: number;
  /** The run's last logged events (its terminal event among them), saved with the outcome. */
  readonly events?: readonly EventBatch[];
}

/**
 * A suspended run and what it waits for, as {@link WorkflowStorage.listSuspendedRuns} lists it.
 *
 * @example
 * ```ts
 * import type { SuspendedRun } from "buddy-ai";
 * const label = (s: SuspendedRun) => `${s.run.runId} waits for ${s.waitingFor.map((w) => w.name)}`;
 * ```
 */
export interface SuspendedRun {
  readonly run: RunResponse;
  readonly waitingFor: readonly PendingWait[];
}

/**
 * A session claimed for one run: loaded, locked against other runs (in this process and in
 * others, through an expiring lease the store renews), and released by `finish`.
 *
 * @example
 * ```ts
 * import type { SessionRun, WorkflowStorage } from "buddy-ai";
 * async function history(storage: WorkflowStorage, request: Parameters<WorkflowStorage["openRun"]>[0]) {
 *   const session: SessionRun = await storage.openRun(request);
 *   try {
 *     return session.history.map((r) => r.content);
 *   } finally {
 *     await session.finish({ runs: [] });
 *   }
 * }
 * ```
 */
export interface SessionRun {
  /** The session as stored before the run; undefined for a new session. */
  readonly session: WorkflowSession | undefined;
  /** Earlier completed runs of the session, oldest first, at most `historyLimit`. */
  readonly history: readonly RunResponse[];
  /**
   * Writes the outcome in one transaction (state with a version check, run rows) and releases the
   * session. Rejects with `SessionConflictError` when the session changed underneath, and with
   * `UnstorableValueError` (before writing anything) when a value cannot be stored.
   */
  finish(outcome: RunOutcome): Promise<void>;
  /**
   * The steps the run (and its child runs, by run id) journaled before: present when the run is
   * continued (`OpenRunRequest.adopt`), so replay returns them instead of running them again.
   */
  readonly journal?: ReadonlyMap<string, readonly StepRecord[]>;
  /** What the run waited for when it suspended (with each wait's deadline): set on resume. */
  readonly suspendedWaits?: readonly PendingWait[];
  /**
   * Journals one step of the run or of one of its child runs, while the run still holds the
   * session: rejects with `LeaseLostError` (nothing written) once it lost it, and with
   * `UnstorableValueError` (naming the step) for an output it cannot store.
   */
  recordStep?(step: StepWrite): Promise<void>;
  /**
   * True when the run keeps its events in the store: `OpenRunRequest.eventLog`, or a continued run
   * that logged before. Its events then go to `appendEvents` and `RunOutcome.events`.
   */
  readonly logsEvents?: boolean;
  /** Writes a batch of the run's events to its log (see `logsEvents`). */
  appendEvents?(batch: EventBatch): Promise<void>;
  /**
   * For a continued run: the highest `seq` of its events the store knows (saved with the run, or
   * logged), so it numbers its events on from there.
   */
  readonly lastEventSeq?: number;
}

/**
 * A session store. `sqliteStorage` and `postgresStorage` implement it; the runtime calls
 * `openRun` before a run and `SessionRun.finish` after it, and knows nothing of SQL.
 *
 * @example
 * ```ts
 * import { run } from "buddy-ai";
 * import { sqliteStorage } from "buddy-ai/sqlite";
 * const storage = sqliteStorage({ dbFile: "tmp/buddy.db" });
 * await run(async function* hi() { yield "hi"; }, undefined, { storage, sessionId: "s1" });
 * console.log(await storage.listRuns("s1"));
 * await storage.close();
 * ```
 */
export interface WorkflowStorage {
  /** The stored session, or undefined when there is none. */
  readSession(sessionId: string): Promise<WorkflowSession | undefined>;
  /** Sessions, newest (last updated) first. */
  listSessions(options?: ListSessionsOptions): Promise<WorkflowSession[]>;
  /** Deletes the session and its runs; no-op when absent. */
  deleteSession(sessionId: string): Promise<void>;
  /**
   * Renames a session. Resolves `true` when it did, `false` when there is no such session
   * (nothing is created).
   */
  renameSession(sessionId: string, sessionName: string): Promise<boolean>;
  /** Runs of a session with their status, oldest first; `limit` keeps the newest ones. */
  listRuns(sessionId: string, options?: { limit?: number }): Promise<RunResponse[]>;
  /** Claims the session for one run. Waits while another run holds it; see {@link SessionRun}. */
  openRun(request: OpenRunRequest): Promise<SessionRun>;
  /** A run (top-level or child) by id, with its status; undefined when there is none. */
  getRun(runId: string): Promise<RunResponse | undefined>;
  /** The steps run `runId` journaled, ordered by `seq`. */
  listSteps(runId: string): Promise<StepRecord[]>;
  /**
   * Runs of the given workflows still `running` whose session is not held by a live run (their
   * process died mid-run), and suspended runs one of whose waits timed out (see `recoverRuns`).
   */
  listInterruptedRuns(workflowIds: readonly string[]): Promise<RunResponse[]>;
  /** Suspended runs (of one session, or all), oldest first, with what each waits for. */
  listSuspendedRuns(options?: { sessionId?: string; limit?: number }): Promise<SuspendedRun[]>;
  /**
   * The logged events of top-level run `runId` with `seq` above `after` (default 0), in order: a
   * page of them (about `limit`, default 1,000); ask again after the last one's `seq` for more.
   * Only runs that keep a log have any (`OpenRunRequest.eventLog`).
   */
  listEvents?(runId: string, options?: { after?: number; limit?: number }): Promise<StoredEvent[]>;
  /**
   * Asks to cancel top-level run `runId`. A suspended run ends `cancelled` at once; a running one
   * is marked, and the process running it aborts it when it sees the mark (see
   * `cancelRequested`). Resolves what happened: `"cancelled"`, `"requested"`, or `undefined` when
   * the run does not exist or has ended.
   */
  requestCancel?(runId: string, reason?: string): Promise<"cancelled" | "requested" | undefined>;
  /** Which of the given running runs were asked to be cancelled (see `requestCancel`). */
  cancelRequested?(runIds: readonly string[]): Promise<string[]>;
  /** Closes connections the store opened. */
  close(): Promise<void>;
}
