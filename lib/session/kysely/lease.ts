import type { Selectable } from "kysely";
import { AbortError, SessionBusyError } from "../../errors.js";
import type { OpenRunRequest } from "../workflow-storage.js";
import type { QueryRunner } from "./query-template.js";
import type { SessionTable } from "./session-table.js";
import { toNumber } from "./session-table.js";
import type { StoreContext } from "./store-context.js";

/** A session row as read from the database. */
export type SessionRow = Selectable<SessionTable>;

/** A successful claim: the session row as it was before (undefined when the claim created it). */
export interface LeaseClaim<S> {
  readonly row: SessionRow | undefined;
  /** What `inspect` made of `row`. */
  readonly session: S | undefined;
  /** This run's number in the session (1 for the first run). */
  readonly seq: number;
  /** The run whose expired lease this claim took over; its row is left `running`. */
  readonly abandonedRunId: string | undefined;
}

/** The row a claim inserts when the session does not exist yet. */
export interface NewSessionValues {
  readonly sessionState: string;
  readonly extraData: string;
  readonly workflowData: string;
}

/**
 * Claims `request.sessionId` for one run under `owner`: creates the session row holding the lease,
 * takes a free lease, or takes over an expired one, each as a single compare-and-swap statement
 * (so it works the same on every database). While another owner holds an unexpired lease it
 * polls with a growing pause (5–50 ms) until `deadline`, then throws `SessionBusyError`; the
 * request's signal stops the wait with an `AbortError`. `inspect` sees the row before it is
 * claimed and may refuse it by throwing (nothing is claimed then).
 */
export async function claimSession<S>(
  store: StoreContext,
  request: OpenRunRequest,
  owner: string,
  deadline: number,
  fresh: NewSessionValues,
  inspect: (row: SessionRow) => S,
): Promise<LeaseClaim<S>> {
  const { db, tables, leaseMs, queries } = store;
  const { sessionId, runId, signal } = request;
  let pause = 5;
  for (;;) {
    if (signal?.aborted) throw abortError(sessionId, signal);
    const [row] = (await queries.readSession.execute(db, { id: sessionId })).rows;
    const now = store.now();
    if (row === undefined) {
      const inserted = await db
        .insertInto(tables.sessions)
        .values({
          session_id: sessionId,
          workflow_id: request.workflowId,
          user_id: request.userId ?? null,
          session_name: request.sessionName ?? null,
          session_state: fresh.sessionState,
          extra_data: fresh.extraData,
          workflow_data: fresh.workflowData,
          version: 0,
          run_count: 1,
          lease_owner: owner,
          lease_run_id: runId,
          lease_expires_at: now + leaseMs,
          created_at: now,
          updated_at: now,
        })
        .onConflict((conflict) => conflict.column("session_id").doNothing())
        .executeTakeFirst();
      if ((inserted.numInsertedOrUpdatedRows ?? 0n) > 0n) {
        return { row: undefined, session: undefined, seq: 1, abandonedRunId: undefined };
      }
      continue; // Created by someone else a moment ago: look again.
    }
    const expires = row.lease_expires_at === null ? 0 : toNumber(row.lease_expires_at);
    if (row.lease_owner === null || expires <= now) {
      const session = inspect(row);
      const runCount = toNumber(row.run_count);
      const claim = {
        id: sessionId,
        owner,
        runId,
        expires: now + leaseMs,
        runCount: runCount + 1,
        seenRunCount: runCount,
      };
      const rename = request.sessionName !== undefined && request.sessionName !== row.session_name;
      const adopt = request.userId !== undefined && row.user_id === null;
      const claimed =
        rename || adopt
          ? await claimAndDescribe(store, request, row, claim, now)
          : row.lease_owner === null
            ? await queries.claimFree.execute(db, claim)
            : await queries.claimExpired.execute(db, { ...claim, holder: row.lease_owner, now });
      if ((claimed.numAffectedRows ?? 0n) > 0n) {
        const abandonedRunId =
          row.lease_owner === null ? undefined : (row.lease_run_id ?? undefined);
        return { row, session, seq: runCount + 1, abandonedRunId };
      }
      // Claimed or changed by someone else in between: look again (within the deadline).
      if (Date.now() >= deadline) throw busyError(sessionId, store.busyTimeoutMs);
      continue;
    }
    const local = Date.now(); // The deadline is this process's own wait.
    if (local >= deadline) throw busyError(sessionId, store.busyTimeoutMs);
    await sleep(Math.min(pause, deadline - local, expires - now), signal);
    pause = Math.min(pause * 2, 50);
  }
}

/** The claim of a run that also names the session or gives it its user (not on the hot path). */
async function claimAndDescribe(
  store: StoreContext,
  request: OpenRunRequest,
  row: SessionRow,
  claim: { owner: string; runId: string; expires: number; runCount: number },
  now: number,
): Promise<{ numAffectedRows?: bigint }> {
  let update = store.db
    .updateTable(store.tables.sessions)
    .set({
      lease_owner: claim.owner,
      lease_run_id: claim.runId,
      lease_expires_at: claim.expires,
      run_count: claim.runCount,
    })
    .where("session_id", "=", row.session_id)
    .where("run_count", "=", toNumber(row.run_count));
  if (request.sessionName !== undefined) update = update.set({ session_name: request.sessionName });
  if (request.userId !== undefined && row.user_id === null) {
    update = update.set({ user_id: request.userId });
  }
  update =
    row.lease_owner === null
      ? update.where("lease_owner", "is", null)
      : update
          .where("lease_owner", "=", row.lease_owner)
          .where((eb) =>
            eb.or([eb("lease_expires_at", "is", null), eb("lease_expires_at", "<=", now)]),
          );
  const result = await update.executeTakeFirst();
  return { numAffectedRows: result.numUpdatedRows };
}

/**
 * Keeps the lease of `owner` alive by pushing its expiry `leaseMs` ahead every `leaseMs / 3`.
 * The timer does not keep the process alive. Returns the function that stops the renewals.
 */
export function renewLease(store: StoreContext, sessionId: string, owner: string): () => void {
  const { db, leaseMs, queries } = store;
  const timer = setInterval(
    () => {
      queries.renewLease
        .execute(db, { id: sessionId, owner, expires: store.now() + leaseMs })
        // A failed renewal only shortens the lease; the save's check catches a lost one.
        .catch(() => {});
    },
    Math.max(1, Math.floor(leaseMs / 3)),
  );
  timer.unref();
  return () => clearInterval(timer);
}

/** Gives the lease of `owner` back (no-op when it no longer holds it); `db` may be a transaction. */
export async function releaseLease(
  store: StoreContext,
  db: QueryRunner,
  sessionId: string,
  owner: string,
): Promise<void> {
  await store.queries.releaseLease.execute(db, { id: sessionId, owner });
}

/** The error of a wait cut short by the run's signal. */
export function abortError(sessionId: string, signal: AbortSignal): AbortError {
  return new AbortError(`Stopped waiting for session "${sessionId}": the run was cancelled`, {
    cause: signal.reason,
  });
}

/** The error of a session that stayed busy until the deadline. */
export function busyError(sessionId: string, busyTimeoutMs: number): SessionBusyError {
  return new SessionBusyError(
    `Session "${sessionId}" stayed busy for ${busyTimeoutMs} ms: another run (in this or another ` +
      `process) holds it. Runs on one session take turns; wait and run again, raise the store's ` +
      `busyTimeoutMs, or use another sessionId.`,
  );
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(1, ms));
    signal?.addEventListener("abort", done, { once: true });
  });
}
