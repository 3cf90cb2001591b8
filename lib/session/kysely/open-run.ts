import { randomUUID } from "node:crypto";
import type { RunResponse } from "../../run/run-response.js";
import { encodeStoredValue } from "../state-codec.js";
import type { OpenRunRequest, SessionRun } from "../workflow-storage.js";
import { KyselySessionRun } from "./kysely-session-run.js";
import { abortError, busyError, claimSession, releaseLease, renewLease } from "./lease.js";
import { queryLimit } from "./query-limit.js";
import { decodeRun, encodedEmpty } from "./run-rows.js";
import type { SessionQueue } from "./session-queue.js";
import { decodeSession } from "./session-rows.js";
import { toNumber } from "./session-table.js";
import type { StoreContext } from "./store-context.js";

/** What a store tracks about the runs it has open. */
export interface ActiveRuns {
  /** Runs on one session of this store, one at a time, first come first served. */
  readonly queue: SessionQueue;
  /** The lease renewals running, stopped when the store closes. */
  readonly renewals: Set<() => void>;
}

const abandoned =
  "abandoned: the process running it stopped before it finished (its lease on the session expired)";

/**
 * Claims a session for one run: refuses an unstorable input first; waits for its turn in this
 * process, then for the lease (see `claimSession`); marks the run of an expired lease it took
 * over as failed; loads the history; records the run as `running`; and keeps the lease renewed
 * until the run finishes. On any failure it gives back what it took.
 */
export async function openSessionRun(
  store: StoreContext,
  active: ActiveRuns,
  request: OpenRunRequest,
): Promise<SessionRun> {
  const { sessionId, runId, signal } = request;
  const deadline = Date.now() + store.busyTimeoutMs;
  const input = encodeStoredValue(request.input, "input");
  const workflowData = encodeStoredValue(request.workflowData, "workflowData");
  const releaseSlot = await active.queue.acquire(
    sessionId,
    deadline,
    signal,
    () => busyError(sessionId, store.busyTimeoutMs),
    () => abortError(sessionId, signal as AbortSignal),
  );
  const owner = randomUUID();
  let claimed = false;
  try {
    const fresh = {
      sessionState: encodedEmpty.object,
      extraData: encodedEmpty.object,
      workflowData,
    };
    const claim = await claimSession(store, request, owner, deadline, fresh, decodeSession);
    claimed = true;
    if (claim.abandonedRunId !== undefined) await markAbandoned(store, claim.abandonedRunId);
    const history =
      request.historyLimit > 0 ? await loadHistory(store, sessionId, request.historyLimit) : [];
    await store.queries.startRun.execute(store.db, {
      runId,
      id: sessionId,
      workflowId: request.workflowId,
      seq: claim.seq,
      input,
      now: store.now(),
    });
    const stop = renewLease(store, sessionId, owner);
    active.renewals.add(stop);
    const stopRenewal = () => {
      stop();
      active.renewals.delete(stop);
    };
    const version = claim.row === undefined ? 0 : toNumber(claim.row.version);
    const run = { sessionId, runId, owner, version, seq: claim.seq, stopRenewal, releaseSlot };
    return new KyselySessionRun(store, run, claim.session, history);
  } catch (error) {
    if (claimed) await releaseLease(store, store.db, sessionId, owner).catch(() => {});
    releaseSlot();
    throw error;
  }
}

/** The last `count` completed top-level runs, oldest first. */
async function loadHistory(
  store: StoreContext,
  sessionId: string,
  count: number,
): Promise<RunResponse[]> {
  const limit = Number.isFinite(count) ? queryLimit(count) : Number.MAX_SAFE_INTEGER;
  const { rows } = await store.queries.history.execute(store.db, { id: sessionId, limit });
  return rows.reverse().map(decodeRun);
}

async function markAbandoned(store: StoreContext, runId: string): Promise<void> {
  await store.queries.markAbandoned.execute(store.db, {
    runId,
    error: abandoned,
    now: store.now(),
  });
}
