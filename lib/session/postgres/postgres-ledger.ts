import { type Kysely, type QueryCreator, sql } from "kysely";
import { StorageUnavailableError } from "../../errors.js";
import { QueryTemplate } from "../kysely/query-template.js";
import type { Claimed, ClaimWrite, RunEnd, RunLedger, SessionRow } from "../kysely/run-ledger.js";
import { encodedEmpty, type HistoryRow } from "../kysely/run-rows.js";
import { recordStepQuery, type StepParams, stepKeys } from "../kysely/step-queries.js";
import type { StoreContext } from "../kysely/store-context.js";
import {
  type ClaimParams,
  claimKeys,
  type EndRunParams,
  historyColumns,
  runEndValues,
  type SaveParams,
  statementKeys,
  storeStatements,
} from "../kysely/store-queries.js";
import type { StoreDatabase } from "../kysely/store-tables.js";
import { isLockTimeout } from "./connection-error.js";

/** The claim's parameters; `fresh` is `"yes"` to record a new run, `"no"` to continue one. */
type ClaimStatement = ClaimParams & { input: string; abandoned: string; fresh: string };
type FinishStatement = SaveParams & EndRunParams & { extraData: string; stateExtra?: string };

/** A `with` clause's query creator, seen as one on the store's tables only. */
function tablesOf<DB extends StoreDatabase>(qc: QueryCreator<DB>): QueryCreator<StoreDatabase> {
  return qc as unknown as QueryCreator<StoreDatabase>;
}

/**
 * The run's lifecycle on Postgres, where every statement is a round trip: one statement claims
 * the lease, ends the run of an expired lease it took over and inserts the run's row (data-modifying `with`
 * clauses, atomic together); one reads the history (after the claim, so it sees every run that
 * ended before it); one saves the state and ends the run's row. Child runs, when there are any,
 * add a statement and a transaction around the save.
 */
export class PostgresLedger implements RunLedger {
  readonly #store: StoreContext;
  readonly #claim: QueryTemplate<ClaimStatement, SessionRow>;
  readonly #save: QueryTemplate<FinishStatement, unknown>;
  readonly #saveWithExtra: QueryTemplate<FinishStatement, unknown>;
  readonly #end: QueryTemplate<EndRunParams & { id: string; owner: string }, unknown>;
  readonly #recordStep: QueryTemplate<StepParams, unknown>;

  constructor(store: StoreContext) {
    this.#store = store;
    const { db, tables: t } = store;
    const s = storeStatements(t, "clock");
    const json = (value: string) => sql<string>`cast(${value} as json)`;
    const bigint = (value: number) => sql<number>`cast(${value} as bigint)`;
    this.#claim = new QueryTemplate(
      [...claimKeys("clock"), "input", "abandoned", "fresh"],
      (p: ClaimStatement) =>
        db
          .with("claim", (qc) => s.claim(qc, p).returningAll())
          // Only when the claim succeeded: the run of the lease it took over, if still running.
          .with("abandon", (qc) =>
            s
              .abandonRun(tablesOf(qc), { error: p.abandoned, now: p.now })
              .where(sql<boolean>`run_id = (select previous_run_id from claim)`)
              .where("run_id", "!=", p.runId),
          )
          .with("start", (qc) =>
            qc
              .insertInto(t.runs)
              .columns([
                "run_id",
                "session_id",
                "parent_run_id",
                "workflow_id",
                "seq",
                "position",
                "status",
                "content_type",
                "input",
                "content",
                "metrics",
                "messages",
                "extra_data",
                "error",
                "created_at",
                "updated_at",
              ])
              .expression((eb) =>
                eb
                  .selectFrom("claim")
                  .where(sql<boolean>`${p.fresh} = 'yes'`)
                  .select([
                    sql<string>`cast(${p.runId} as text)`.as("run_id"),
                    "claim.session_id",
                    sql<null>`null`.as("parent_run_id"),
                    sql<string>`cast(${p.workflowId} as text)`.as("workflow_id"),
                    "claim.run_count",
                    sql<number>`0`.as("position"),
                    sql<string>`'running'`.as("status"),
                    sql<string>`'str'`.as("content_type"),
                    json(p.input).as("input"),
                    json(encodedEmpty.undefined).as("content"),
                    json(encodedEmpty.object).as("metrics"),
                    json(encodedEmpty.array).as("messages"),
                    json(encodedEmpty.object).as("extra_data"),
                    sql<null>`null`.as("error"),
                    bigint(p.now).as("created_at"),
                    bigint(p.now).as("updated_at"),
                  ]),
              ),
          )
          .selectFrom("claim")
          .selectAll(),
    );
    const saveAndEnd = (p: FinishStatement) =>
      db
        .with("saved", (qc) =>
          s.save(qc, { ...p, extraData: p.stateExtra }).returning("session_id"),
        )
        .updateTable(t.runs)
        .set(runEndValues(p))
        .where("run_id", "=", p.runId)
        .where(sql<boolean>`exists (select 1 from saved)`);
    const saveKeys = [...statementKeys.save, ...statementKeys.endRun] as const;
    this.#save = new QueryTemplate([...saveKeys], saveAndEnd);
    this.#saveWithExtra = new QueryTemplate([...saveKeys, "stateExtra"], saveAndEnd);
    this.#recordStep = new QueryTemplate([...stepKeys], (p: StepParams) =>
      recordStepQuery(db, t, p, {
        json: (value) => sql<string | null>`cast(${value} as json)`,
        bigint: bigint,
        text: (value) => sql<string>`cast(${value} as text)`,
      }),
    );
    this.#end = new QueryTemplate(
      [...statementKeys.endRun, "id", "owner"],
      (p: EndRunParams & { id: string; owner: string }) =>
        db
          .with("released", (qc) => s.release(qc, p).returning("session_id"))
          .updateTable(t.runs)
          .set(runEndValues(p))
          .where("run_id", "=", p.runId)
          .where("status", "!=", "completed"),
    );
  }

  async claim(write: ClaimWrite, abandoned: string): Promise<Claimed | undefined> {
    try {
      return await this.#claimOnce(write, abandoned);
    } catch (error) {
      // A lock held past lock_timeout (a stalled transaction, a table lock): the session counts
      // as busy, and the claim tries again until the run's busyTimeoutMs runs out.
      if (error instanceof StorageUnavailableError && isLockTimeout(error.cause)) return undefined;
      throw error;
    }
  }

  async #claimOnce(write: ClaimWrite, abandoned: string): Promise<Claimed | undefined> {
    const { db, leaseMs, queries } = this.#store;
    const now = this.#store.now();
    const { rows } = await this.#claim.execute(db, {
      id: write.sessionId,
      workflowId: write.workflowId,
      userId: write.userId,
      sessionName: write.sessionName,
      workflowData: write.workflowData,
      owner: write.owner,
      runId: write.runId,
      expires: now + leaseMs,
      now,
      takeOver: write.takeOver,
      stale: null,
      staleExpires: null,
      input: write.input,
      abandoned,
      fresh: write.adopt ? "no" : "yes",
    });
    const [row] = rows;
    if (row === undefined) return undefined;
    const created = Number(row.run_count) === 1;
    const known = row.previous_run_id !== null && row.previous_run_id === write.historyAfter;
    if (known) return { row, created, history: undefined, startedAt: now };
    if (write.historyLimit === 0 || created) return { row, created, history: [], startedAt: now };
    const history = await queries.history.execute(db, {
      id: write.sessionId,
      limit: write.historyLimit,
    });
    return { row, created, history: history.rows.map(historyRow), startedAt: now };
  }

  async finish(end: RunEnd): Promise<boolean> {
    const { db } = this.#store;
    const events = end.events ?? [];
    if (end.children.length === 0 && events.length === 0) return this.#finish(db, end);
    const { queries } = this.#store;
    return db.transaction().execute(async (trx) => {
      if (!(await this.#finish(trx, end))) return false;
      if (end.children.length > 0) {
        await trx.executeQuery(queries.insertChildren(end.children).compile());
      }
      if (events.length > 0) await trx.executeQuery(queries.insertEvents(events).compile());
      return true;
    });
  }

  async recordStep(params: StepParams): Promise<boolean> {
    const inserted = await this.#recordStep.execute(this.#store.db, params);
    return (inserted.numAffectedRows ?? 0n) > 0n;
  }

  async renew(sessionId: string, owner: string): Promise<void> {
    const { db, leaseMs, queries } = this.#store;
    await queries.renewLease.execute(db, {
      id: sessionId,
      owner,
      expires: this.#store.now() + leaseMs,
    });
  }

  async release(sessionId: string, owner: string): Promise<void> {
    await this.#store.queries.releaseLease.execute(this.#store.db, { id: sessionId, owner });
  }

  /** The save (or release) and the run's row, in one statement. */
  async #finish(db: Kysely<StoreDatabase>, end: RunEnd): Promise<boolean> {
    const { queries } = this.#store;
    const now = this.#store.now();
    const { sessionId: id, owner, runId, run, state } = end;
    if (state !== undefined) {
      const save = {
        id,
        state: state.state,
        version: state.version,
        nextVersion: state.version + 1,
        owner,
        now,
      };
      if (run === undefined) {
        const saved =
          state.extraData === undefined
            ? await queries.saveState.execute(db, save)
            : await queries.saveStateWithExtra.execute(db, { ...save, extraData: state.extraData });
        return (saved.numAffectedRows ?? 0n) > 0n;
      }
      const params = { ...save, ...run, runId };
      const saved =
        state.extraData === undefined
          ? await this.#save.execute(db, params)
          : await this.#saveWithExtra.execute(db, { ...params, stateExtra: state.extraData });
      return (saved.numAffectedRows ?? 0n) > 0n;
    }
    if (run === undefined) await queries.releaseLease.execute(db, { id, owner });
    else await this.#end.execute(db, { ...run, runId, id, owner, now });
    return true;
  }
}

/** A history row as the {@link HistoryRow} its decoder reads. */
function historyRow(row: Record<(typeof historyColumns)[number], unknown>): HistoryRow {
  return historyColumns.map((column) => row[column]) as unknown as HistoryRow;
}
