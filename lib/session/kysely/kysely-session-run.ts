import { BuddyError, LeaseLostError, SessionConflictError } from "../../errors.js";
import type { PendingWait } from "../../run/run-event.js";
import type { RunResponse } from "../../run/run-response.js";
import type { EventBatch } from "../event-batch.js";
import { encodeStoredValue } from "../state-codec.js";
import type { StepRecord, StepWrite } from "../step-record.js";
import type { WorkflowSession } from "../workflow-session.js";
import type { RunOutcome, SessionRun } from "../workflow-storage.js";
import { appendEvents, eventRow } from "./event-log-store.js";
import type { CachedHistory } from "./history-cache.js";
import type { ActiveRuns } from "./open-run.js";
import type { RunEnd, RunLedger, RunRowEnd } from "./run-ledger.js";
import {
  childRunRow,
  type EncodedRun,
  encodedEmpty,
  encodeRun,
  type HistoryRow,
} from "./run-rows.js";
import { stepParams } from "./step-rows.js";
import type { StoreContext } from "./store-context.js";

/** Who holds the session for this run, and what to undo when the run ends. */
export interface RunClaim {
  readonly sessionId: string;
  readonly runId: string;
  readonly owner: string;
  readonly workflowId: string;
  /** The run's input, encoded. */
  readonly input: string;
  /** The `created_at` of the run's row. */
  readonly startedAt: number;
  /** The session's history as the run found it, when known (rows newest first). */
  readonly history: CachedHistory | undefined;
  /** The session's `version` as loaded; the save requires it unchanged. */
  readonly version: number;
  /** The run's number in the session. */
  readonly seq: number;
  /** Lets the next queued run of this session in this process go. */
  readonly releaseSlot: () => void;
}

/** What a continued run (`OpenRunRequest.adopt`) brings from before. */
export interface ContinuedRun {
  readonly journal?: ReadonlyMap<string, readonly StepRecord[]>;
  readonly waits?: readonly PendingWait[];
  readonly lastEventSeq?: number;
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
  readonly #ledger: RunLedger;
  readonly #active: ActiveRuns;
  readonly #claim: RunClaim;
  #failure: unknown;
  #stage: "open" | "saving" | "failed" | "finished" = "open";

  constructor(
    store: StoreContext,
    ledger: RunLedger,
    active: ActiveRuns,
    claim: RunClaim,
    readonly session: WorkflowSession | undefined,
    readonly history: readonly RunResponse[],
    continued: ContinuedRun = {},
    readonly logsEvents = false,
  ) {
    this.#store = store;
    this.#ledger = ledger;
    this.#active = active;
    this.#claim = claim;
    this.journal = continued.journal;
    this.suspendedWaits = continued.waits;
    this.lastEventSeq = continued.lastEventSeq;
  }

  readonly journal: ReadonlyMap<string, readonly StepRecord[]> | undefined;
  readonly suspendedWaits: readonly PendingWait[] | undefined;
  readonly lastEventSeq: number | undefined;

  async appendEvents(batch: EventBatch): Promise<void> {
    await appendEvents(this.#store, this.#claim.runId, batch);
  }

  recordStep(step: StepWrite): Promise<void> {
    const { sessionId, owner } = this.#claim;
    try {
      if (this.#stage !== "open") {
        throw new BuddyError(`Run "${this.#claim.runId}" has finished; it journals no more steps`);
      }
      const recorded = this.#ledger.recordStep(stepParams(step, sessionId, owner));
      // SQLite answers at once: no promise to wait for then.
      if (recorded === true) return journaled;
      if (recorded === false) throw leaseLost(step, sessionId);
      return recorded.then((inserted) => {
        if (!inserted) throw leaseLost(step, sessionId);
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async finish(outcome: RunOutcome): Promise<void> {
    const { runId, sessionId } = this.#claim;
    if (this.#stage === "finished" || this.#stage === "saving") {
      throw new BuddyError(`Run "${runId}" is already finished; call finish once per run`);
    }
    const state = outcome.sessionState;
    if (this.#stage === "failed" && state !== undefined) throw this.#failure;
    // Encode everything before writing anything (throws UnstorableValueError).
    const end = this.#encode(outcome);
    if (this.#stage === "failed") {
      this.#stage = "finished";
      await this.#ledger.finish(end);
      return;
    }
    this.#active.history.forget(sessionId);
    this.#stage = "saving";
    this.#active.renewals.release(this.#claim.owner);
    try {
      if (!(await this.#ledger.finish(end))) {
        throw new SessionConflictError(
          `Session "${sessionId}" changed while run "${runId}" was in flight (another ` +
            `run saved it, it was deleted, or this run's lease expired because its process ` +
            `stalled for longer than leaseMs), so this run's state was not saved. Run it again ` +
            `to work on the current state.`,
        );
      }
      this.#stage = "finished";
      this.#remember(end);
    } catch (error) {
      this.#stage = "failed";
      this.#failure = error;
      await this.#recordFailure(error);
      throw error;
    } finally {
      this.#claim.releaseSlot();
    }
  }

  /** The outcome as the rows to write (throws `UnstorableValueError` for a value it cannot store). */
  #encode(outcome: RunOutcome): RunEnd {
    const { sessionId, runId, owner, seq, version } = this.#claim;
    const state = outcome.sessionState;
    const lenient = state === undefined;
    const encodedState = lenient ? undefined : encodeStoredValue(state, "sessionState");
    const extraData =
      lenient || outcome.extraData === undefined
        ? undefined
        : encodeStoredValue(outcome.extraData, "extraData");
    const [top, ...rest] = outcome.runs;
    const encoded = outcome.runs.map((run, i) => encodeRun(run, i, lenient));
    const now = this.#store.now();
    const children = rest.map((child, i) =>
      childRunRow(child, encoded[i + 1] as EncodedRun, sessionId, seq, i + 1, now),
    );
    const waitingFor =
      outcome.waitingFor === undefined ? null : encodeStoredValue(outcome.waitingFor, "waitingFor");
    const deadlines = (outcome.waitingFor ?? []).flatMap((w) =>
      w.deadline === undefined ? [] : [w.deadline],
    );
    const wakeAt = deadlines.length === 0 ? null : Math.min(...deadlines);
    const eventSeq = outcome.eventSeq ?? null;
    const run =
      top === undefined
        ? undefined
        : rowEnd(top, encoded[0] as EncodedRun, waitingFor, wakeAt, eventSeq);
    const events =
      outcome.events === undefined || !this.logsEvents
        ? undefined
        : outcome.events.map((batch, i, all) =>
            eventRow(runId, batch, i === all.length - 1 ? finalText(top) : undefined),
          );
    return encodedState === undefined
      ? { sessionId, runId, owner, run, children, events }
      : {
          sessionId,
          runId,
          owner,
          run,
          children,
          events,
          state: { state: encodedState, extraData, version },
        };
  }

  /** Keeps the session's history as this run leaves it, for the session's next run here. */
  #remember(end: RunEnd): void {
    const { sessionId, runId, history } = this.#claim;
    if (history === undefined) return;
    const run = end.run;
    if (run === undefined || run.status !== "completed") {
      this.#active.history.remember(sessionId, { ...history, afterRunId: runId });
      return;
    }
    const { workflowId, input, startedAt } = this.#claim;
    const own: HistoryRow = [
      runId,
      workflowId,
      run.contentType,
      input,
      run.content,
      run.metrics,
      run.messages,
      run.extraData,
      startedAt,
    ];
    const rows = [own, ...history.rows];
    if (rows.length > history.limit) rows.length = history.limit;
    this.#active.history.remember(sessionId, { afterRunId: runId, limit: history.limit, rows });
  }

  /** After a failed save: marks the run `error` and gives the session back (best effort). */
  async #recordFailure(error: unknown): Promise<void> {
    await endFailedRun(this.#ledger, this.#active, this.#claim, error);
  }
}

/**
 * The content of a run that ends here as text, which its row keeps from now on: its log's last
 * batch, saved with it, need not keep that text again (see `eventRow`). A suspended run's
 * content changes when it resumes.
 */
function finalText(run: RunResponse | undefined): string | undefined {
  if (run === undefined || run.status === "suspended" || run.status === "running") return undefined;
  return typeof run.content === "string" ? run.content : undefined;
}

/** What a journal write resolves when it is done. */
const journaled: Promise<void> = Promise.resolve();

function leaseLost(step: StepWrite, sessionId: string): LeaseLostError {
  return new LeaseLostError(
    `Run "${step.runId}" lost its claim on session "${sessionId}" (its process stalled for ` +
      `longer than leaseMs and another run took the session over), so step "${step.name}" ` +
      "was not journaled and the run stops here. Its state was not saved.",
  );
}

function rowEnd(
  run: RunResponse,
  encoded: EncodedRun,
  waitingFor: string | null,
  wakeAt: number | null,
  eventSeq: number | null,
): RunRowEnd {
  return {
    status: run.status,
    contentType: run.contentType,
    content: encoded.content,
    metrics: encoded.metrics,
    messages: encoded.messages,
    extraData: encoded.extra_data,
    error: run.error ?? null,
    waitingFor,
    wakeAt,
    eventSeq,
  };
}

/**
 * Ends a claimed run as `error` (with `error`'s message) and gives its lease back. When the
 * database refuses that too, the lease stays there: the session's next claim in this process
 * takes it over (other processes wait for it to expire), and the run, still `running`, is then
 * ended as abandoned.
 */
export async function endFailedRun(
  ledger: RunLedger,
  active: ActiveRuns,
  claim: { readonly sessionId: string; readonly runId: string; readonly owner: string },
  error: unknown,
): Promise<void> {
  const { sessionId, runId, owner } = claim;
  const run: RunRowEnd = {
    status: "error",
    contentType: "str",
    content: encodedEmpty.undefined,
    metrics: encodedEmpty.object,
    messages: encodedEmpty.array,
    extraData: encodedEmpty.object,
    error: error instanceof Error ? error.message : String(error),
    waitingFor: null,
    wakeAt: null,
    eventSeq: null,
  };
  try {
    await ledger.finish({ sessionId, runId, owner, run, children: [] });
  } catch {
    active.deadLeases.set(sessionId, owner);
  }
}
