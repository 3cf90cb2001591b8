import type { Transaction } from "kysely";
import { BuddyError, SessionConflictError } from "../../errors.js";
import type { RunResponse } from "../../run/run-response.js";
import { encodeStoredValue } from "../state-codec.js";
import type { WorkflowSession } from "../workflow-session.js";
import type { RunOutcome, SessionRun } from "../workflow-storage.js";
import { releaseLease } from "./lease.js";
import { childRunRow, type EncodedRun, encodeRun } from "./run-rows.js";
import type { StoreContext } from "./store-context.js";
import type { StoreDatabase } from "./store-tables.js";

/** Who holds the session for this run, and what to undo when the run ends. */
export interface RunClaim {
  readonly sessionId: string;
  readonly runId: string;
  readonly owner: string;
  /** The session's `version` as loaded; the save requires it unchanged. */
  readonly version: number;
  /** The run's number in the session. */
  readonly seq: number;
  /** Stops the lease renewals. */
  readonly stopRenewal: () => void;
  /** Lets the next queued run of this session in this process go. */
  readonly releaseSlot: () => void;
}

/**
 * One claimed run (see {@link SessionRun}). `finish` encodes first — an unstorable value rejects
 * with nothing written and the run still open, so `finish` can be called again — then writes
 * state, run rows and the lease release in one transaction. A save that fails (a version
 * conflict, a lost lease, a database error) records the run as `error`, releases the session,
 * and then accepts one more `finish` without state, which records the runs as given.
 */
export class KyselySessionRun implements SessionRun {
  readonly #store: StoreContext;
  readonly #claim: RunClaim;
  #failure: unknown;
  #stage: "open" | "saving" | "failed" | "finished" = "open";

  constructor(
    store: StoreContext,
    claim: RunClaim,
    readonly session: WorkflowSession | undefined,
    readonly history: readonly RunResponse[],
  ) {
    this.#store = store;
    this.#claim = claim;
  }

  async finish(outcome: RunOutcome): Promise<void> {
    const { runId, sessionId } = this.#claim;
    if (this.#stage === "finished" || this.#stage === "saving") {
      throw new BuddyError(`Run "${runId}" is already finished; call finish once per run`);
    }
    const state = outcome.sessionState;
    if (this.#stage === "failed" && state !== undefined) throw this.#failure;
    // Encode everything before writing anything (throws UnstorableValueError).
    const encodedState = state === undefined ? undefined : encodeStoredValue(state, "sessionState");
    const encodedExtra =
      state === undefined || outcome.extraData === undefined
        ? undefined
        : encodeStoredValue(outcome.extraData, "extraData");
    const runs = outcome.runs.map((run, i) => encodeRun(run, i, state === undefined));
    if (this.#stage === "failed") {
      this.#stage = "finished";
      await this.#store.db.transaction().execute((trx) => this.#writeRuns(trx, outcome, runs));
      return;
    }
    this.#stage = "saving";
    this.#claim.stopRenewal();
    try {
      await this.#store.db.transaction().execute(async (trx) => {
        if (encodedState !== undefined) await this.#saveState(trx, encodedState, encodedExtra);
        await this.#writeRuns(trx, outcome, runs);
        if (encodedState === undefined) {
          await releaseLease(this.#store, trx, sessionId, this.#claim.owner);
        }
      });
      this.#stage = "finished";
    } catch (error) {
      this.#stage = "failed";
      this.#failure = error;
      await this.#recordFailure(error);
      throw error;
    } finally {
      this.#claim.releaseSlot();
    }
  }

  /** Writes state and releases the lease, if the session is still at the loaded version and ours. */
  async #saveState(
    trx: Transaction<StoreDatabase>,
    state: string,
    extraData: string | undefined,
  ): Promise<void> {
    const { sessionId, owner, version } = this.#claim;
    const { queries } = this.#store;
    const params = {
      id: sessionId,
      state,
      version,
      nextVersion: version + 1,
      owner,
      now: this.#store.now(),
    };
    const saved =
      extraData === undefined
        ? await queries.saveState.execute(trx, params)
        : await queries.saveStateWithExtra.execute(trx, { ...params, extraData });
    if ((saved.numAffectedRows ?? 0n) === 0n) {
      throw new SessionConflictError(
        `Session "${sessionId}" changed while run "${this.#claim.runId}" was in flight (another ` +
          `run saved it, it was deleted, or this run's lease expired because its process stalled ` +
          `for longer than leaseMs), so this run's state was not saved. Run it again to work on ` +
          `the current state.`,
      );
    }
  }

  /** Updates this run's row (started as `running`) and inserts its child runs. */
  async #writeRuns(
    trx: Transaction<StoreDatabase>,
    outcome: RunOutcome,
    runs: readonly EncodedRun[],
  ): Promise<void> {
    const { sessionId, seq, runId } = this.#claim;
    const [top, ...children] = outcome.runs;
    const [encoded] = runs;
    const now = this.#store.now();
    if (top !== undefined && encoded !== undefined) {
      await this.#store.queries.endRun.execute(trx, {
        runId,
        status: top.status,
        contentType: top.contentType,
        content: encoded.content,
        metrics: encoded.metrics,
        messages: encoded.messages,
        extraData: encoded.extra_data,
        error: top.error ?? null,
        now,
      });
    }
    if (children.length === 0) return;
    const rows = children.map((child, i) =>
      childRunRow(child, runs[i + 1] ?? encodeRun(child, i + 1, true), sessionId, seq, i + 1, now),
    );
    await trx
      .insertInto(this.#store.tables.runs)
      .values(rows)
      .onConflict((conflict) => conflict.column("run_id").doNothing())
      .execute();
  }

  /** After a failed save: marks the run `error` and gives the session back (best effort). */
  async #recordFailure(error: unknown): Promise<void> {
    const { sessionId, runId, owner } = this.#claim;
    const message = error instanceof Error ? error.message : String(error);
    try {
      await this.#store.db.transaction().execute(async (trx) => {
        await trx
          .updateTable(this.#store.tables.runs)
          .set({ status: "error", error: message, updated_at: this.#store.now() })
          .where("run_id", "=", runId)
          .execute();
        await releaseLease(this.#store, trx, sessionId, owner);
      });
    } catch {
      // The lease expires on its own; the run row then counts as abandoned.
    }
  }
}
