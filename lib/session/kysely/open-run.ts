import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { BuddyError, RunNotRunningError, RunNotSuspendedError } from "../../errors.js";
import type { RunResponse } from "../../run/run-response.js";
import { encodeStoredValue } from "../state-codec.js";
import type { StepRecord } from "../step-record.js";
import type { OpenRunRequest, SessionRun } from "../workflow-storage.js";
import { lastLoggedSeq, pruneEvents } from "./event-log-store.js";
import type { HistoryCache } from "./history-cache.js";
import { type ContinuedRun, endFailedRun, KyselySessionRun } from "./kysely-session-run.js";
import { abortError, busyError, claimLease, type LeaseRenewals } from "./lease.js";
import { queryLimit } from "./query-limit.js";
import type { Claimed, RunLedger } from "./run-ledger.js";
import { decodeHistoryRow, decodeWaits, type HistoryRow } from "./run-rows.js";
import type { SessionQueue } from "./session-queue.js";
import { decodeSession } from "./session-rows.js";
import { toNumber } from "./session-table.js";
import { decodeStep } from "./step-rows.js";
import type { StoreContext } from "./store-context.js";

/** What a store tracks about the runs it has open. */
export interface ActiveRuns {
  /** Runs on one session of this store, one at a time, first come first served. */
  readonly queue: SessionQueue;
  /** The leases held for runs in flight, renewed until each run ends or the store closes. */
  readonly renewals: LeaseRenewals;
  /** The history each session's last run here left. */
  readonly history: HistoryCache;
  /**
   * Leases this process still holds in the database for runs that already ended (their save
   * failed, and so did giving the lease back): the session's next claim here takes them over.
   */
  readonly deadLeases: Map<string, string>;
  /** When this store last deleted expired event logs (epoch ms). */
  prunedAt: number;
}

/**
 * Claims a session for one run: refuses an unstorable input first; waits for its turn in this
 * process, then for the lease; claims it, recording the run as `running` (see
 * {@link RunLedger.claim}); decodes the session and its history; and keeps the lease renewed
 * until the run finishes. A claimed run that cannot start (an undecodable row) is ended as
 * `error` and its session given back.
 */
export async function openSessionRun(
  store: StoreContext,
  ledger: RunLedger,
  active: ActiveRuns,
  request: OpenRunRequest,
): Promise<SessionRun> {
  const { sessionId, runId, signal } = request;
  const deadline = Date.now() + store.busyTimeoutMs;
  const input = encodeStoredValue(request.input, "input");
  const workflowData = encodedWorkflowData(request.workflowData);
  const releaseSlot = await active.queue.acquire(
    sessionId,
    deadline,
    signal,
    () => busyError(sessionId, store.busyTimeoutMs),
    () => abortError(sessionId, signal as AbortSignal),
  );
  if (request.eventLog === true) pruneExpiredLogs(store, active);
  const owner = randomUUID();
  const limit = historyRows(request.historyLimit);
  const cached = active.history.lookup(sessionId, limit);
  let claimed: Claimed | undefined;
  try {
    const write = {
      sessionId,
      runId,
      owner,
      workflowId: request.workflowId,
      userId: request.userId ?? null,
      sessionName: request.sessionName ?? null,
      input,
      workflowData,
      historyLimit: limit,
      historyAfter: cached?.afterRunId,
      takeOver: active.deadLeases.get(sessionId) ?? null,
      adopt: request.adopt === true,
    };
    claimed = await claimLease(ledger, write, deadline, store.busyTimeoutMs, signal);
    active.deadLeases.delete(sessionId);
    const { row } = claimed;
    const session = claimed.created ? undefined : decodeSession(row);
    const adopted =
      request.adopt === true
        ? await adoptedJournal(store, runId, request.resume === true)
        : undefined;
    const known =
      claimed.history === undefined
        ? cached
        : limit > 0 || claimed.created
          ? { afterRunId: runId, limit, rows: claimed.history }
          : undefined;
    const rows = known?.rows ?? [];
    const history: RunResponse[] = [];
    for (let i = Math.min(rows.length, limit) - 1; i >= 0; i--) {
      history.push(decodeHistoryRow(sessionId, rows[i] as HistoryRow));
    }
    active.renewals.hold(sessionId, owner);
    const claim = {
      sessionId,
      runId,
      owner,
      workflowId: request.workflowId,
      input,
      startedAt: claimed.startedAt,
      version: toNumber(row.version),
      seq: toNumber(row.run_count),
      releaseSlot,
      history: known,
    };
    const logsEvents = request.eventLog === true || adopted?.logged === true;
    return new KyselySessionRun(
      store,
      ledger,
      active,
      claim,
      session,
      history,
      adopted,
      logsEvents,
    );
  } catch (error) {
    active.renewals.release(owner);
    active.history.forget(sessionId);
    if (claimed === undefined) {
      // The claim failed without an answer (a lost reply): it may have been made. If so, the
      // session's next claim here takes the lease over and ends this run as abandoned.
      active.deadLeases.set(sessionId, owner);
    } else if (error instanceof RunNotRunningError || error instanceof RunNotSuspendedError) {
      // Nothing to continue: only give the session back.
      await Promise.resolve()
        .then(() => ledger.release(sessionId, owner))
        .catch(() => active.deadLeases.set(sessionId, owner));
    } else {
      await endFailedRun(ledger, active, { sessionId, runId, owner }, error);
    }
    releaseSlot();
    throw error;
  }
}

/**
 * Deletes the event logs that outlived the retention time, at most every ten minutes per store,
 * in the background (a failure only waits for the next time).
 */
function pruneExpiredLogs(store: StoreContext, active: ActiveRuns): void {
  const now = store.now();
  if (now - active.prunedAt < 600_000) return;
  active.prunedAt = now;
  pruneEvents(store, now - store.eventRetentionMs).catch(() => {});
}

/** How many times a run is continued after its process died before it is given up. */
const maxRecoveries = 3;

/**
 * What run `runId`, taken over to be continued, journaled (its child runs' steps too, by run
 * id). Refuses with `RunNotRunningError` a run that is no longer `running`: another process
 * finished it first.
 */
async function adoptedJournal(
  store: StoreContext,
  runId: string,
  resume: boolean,
): Promise<ContinuedRun & { logged: boolean }> {
  const { db, tables } = store;
  // One compare-and-swap decides who continues the run: a resume takes it from `suspended`.
  const run = resume
    ? await db
        .updateTable(tables.runs)
        .set({ status: "running", updated_at: store.now() })
        .where("run_id", "=", runId)
        .where("status", "=", "suspended")
        .returning(["session_id", "recoveries", "waiting_for", "event_seq"])
        .executeTakeFirst()
    : await db
        .updateTable(tables.runs)
        .set({ recoveries: sql<number>`recoveries + 1` })
        .where("run_id", "=", runId)
        .where("status", "=", "running")
        .returning(["session_id", "recoveries", "waiting_for", "event_seq"])
        .executeTakeFirst();
  if (run === undefined && resume) {
    throw new RunNotSuspendedError(
      `Run "${runId}" is not suspended: it ended, is running, or another resume took it first`,
    );
  }
  if (run === undefined) {
    throw new RunNotRunningError(`Run "${runId}" is not running: there is nothing to continue`);
  }
  if (toNumber(run.recoveries) > maxRecoveries) {
    throw new BuddyError(
      `Run "${runId}" was continued ${maxRecoveries} times after its process died, and died ` +
        "again each time; it is given up (ended as error). Look for what kills its process.",
    );
  }
  const rows = await db
    .selectFrom(tables.steps)
    .selectAll()
    .where("root_run_id", "=", runId)
    .orderBy("run_id")
    .orderBy("seq")
    .execute();
  const journal = new Map<string, StepRecord[]>();
  for (const row of rows) {
    const steps = journal.get(row.run_id) ?? [];
    steps.push(decodeStep(row, run.session_id));
    journal.set(row.run_id, steps);
  }
  const waits = resume ? decodeWaits(run.session_id, runId, run.waiting_for) : undefined;
  const logged = await lastLoggedSeq(store, runId);
  const saved = run.event_seq === null ? 0 : toNumber(run.event_seq);
  const lastEventSeq = Math.max(saved, logged ?? 0);
  return { journal, waits, lastEventSeq, logged: logged !== undefined };
}

/** The row limit for a `historyLimit` (a whole number ≥ 0, or Infinity for all). */
function historyRows(count: number): number {
  return Number.isFinite(count) ? queryLimit(count) : Number.MAX_SAFE_INTEGER;
}

const workflowDataCache = new Map<string, string>();

/** `workflowData` encoded; the same few values come with every run, so each is encoded once. */
function encodedWorkflowData(data: OpenRunRequest["workflowData"]): string {
  const key =
    data.description === undefined ? `u${data.name}` : `d${data.name}\u0000${data.description}`;
  let encoded = workflowDataCache.get(key);
  if (encoded === undefined) {
    encoded = encodeStoredValue(data, "workflowData");
    if (workflowDataCache.size >= 256) workflowDataCache.clear();
    workflowDataCache.set(key, encoded);
  }
  return encoded;
}
