import type { Compilable } from "kysely";
import { sql } from "kysely";
import { pause } from "../../run/pause.js";
import { QueryTemplate } from "../kysely/query-template.js";
import type { Claimed, ClaimWrite, RunEnd, RunLedger } from "../kysely/run-ledger.js";
import type { HistoryRow } from "../kysely/run-rows.js";
import { sessionRowOf } from "../kysely/session-table.js";
import {
  recordStepQuery,
  type StepParams,
  type StepValueTypes,
  stepKeys,
} from "../kysely/step-queries.js";
import type { QueryLogEvent } from "../kysely/storage-options.js";
import type { StoreContext } from "../kysely/store-context.js";
import { LeaseWatch, type ObservedLease } from "./lease-watch.js";
import { isSqliteBusy, toSqliteStorageError } from "./sqlite-errors.js";

/** The part of a better-sqlite3 statement the ledger uses. */
interface RawStatement {
  run(...parameters: unknown[]): { changes: number };
  get(...parameters: unknown[]): unknown;
  all(...parameters: unknown[]): unknown[];
  raw(toggle: boolean): unknown;
}

/** The part of a better-sqlite3 `Database` the ledger uses. */
export interface RawDatabase {
  prepare(sql: string): RawStatement;
  readonly inTransaction: boolean;
}

/** A template bound to its prepared statement. */
interface Bound<P> {
  run(params: P): number;
  get<R>(params: P): R | undefined;
  all<R>(params: P): R[];
}

/**
 * The run's lifecycle on SQLite: each step one synchronous transaction that takes the write lock
 * first (`BEGIN IMMEDIATE`, or a first statement that writes) on statements prepared once from the
 * store's Kysely-built queries. Nothing awaits inside a transaction, so no other statement of this
 * process can slip into it; other processes wait for SQLite's write lock (the handle's busy
 * timeout). A held lease is taken over only once this process has seen it go unrenewed for half of
 * `leaseMs` (see {@link LeaseWatch}): processes' wall clocks are never compared.
 */
export class SqliteLedger implements RunLedger {
  readonly #store: StoreContext;
  readonly #handle: () => RawDatabase;
  readonly #file: string;
  readonly #onQuery: ((event: QueryLogEvent) => void) | undefined;
  readonly #leases = new LeaseWatch();
  #bound: ReturnType<SqliteLedger["bind"]> | undefined;

  constructor(
    store: StoreContext,
    handle: () => RawDatabase,
    file: string,
    onQuery: ((event: QueryLogEvent) => void) | undefined,
  ) {
    this.#store = store;
    this.#handle = handle;
    this.#file = file;
    this.#onQuery = onQuery;
  }

  claim(write: ClaimWrite, abandoned: string): Claimed | undefined | Promise<Claimed | undefined> {
    try {
      return this.#claim(write, abandoned);
    } catch (error) {
      // Another process holds the write lock past one attempt's busy timeout: wait, then retry.
      if (isSqliteBusy(error)) return undefined;
      throw toSqliteStorageError(error, this.#file);
    }
  }

  #claim(write: ClaimWrite, abandoned: string): Claimed | undefined | Promise<Claimed | undefined> {
    const db = this.#handle();
    if (db.inTransaction) return whenIdle(db).then(() => this.claim(write, abandoned));
    const q = this.#statements();
    const now = this.#store.now();
    const stale = this.#leases.stale(write.sessionId, this.#store.leaseMs);
    return this.#transaction(db, q.begin, () => {
      const { sessionId: id, owner, runId } = write;
      const params = {
        id,
        workflowId: write.workflowId,
        userId: write.userId,
        sessionName: write.sessionName,
        workflowData: write.workflowData,
        owner,
        runId,
        expires: now + this.#store.leaseMs,
        now,
        takeOver: write.takeOver,
        stale: stale?.owner ?? null,
        staleExpires: stale?.expires ?? null,
      };
      // A session that exists is claimed by an update, then read: SQLite runs that faster than
      // the upsert (an insert tried first) returning the row. The upsert creates a new session,
      // or finds the lease held.
      const claimed =
        q.claimExisting.run(params) === 1
          ? q.readSession.get<unknown[]>({ id })
          : q.claim.get<unknown[]>(params);
      if (claimed === undefined) {
        this.#leases.observe(id, q.readLease.get<ObservedLease>({ id }));
        return undefined;
      }
      const row = sessionRowOf(claimed);
      this.#leases.forget(id);
      const previous = row.previous_run_id;
      // The previous run is still `running` only if its process died. The run whose history
      // this process kept ended here (its row is final): nothing to look at.
      if (previous !== null && previous !== runId && previous !== write.historyAfter) {
        q.abandonRun.run({ runId: previous, error: abandoned, now });
      }
      const seq = Number(row.run_count);
      if (!write.adopt) {
        q.startRun.run({ runId, id, workflowId: write.workflowId, seq, input: write.input, now });
      }
      const history =
        previous !== null && previous === write.historyAfter
          ? undefined
          : write.historyLimit > 0 && seq > 1
            ? q.history.all<HistoryRow>({ id, limit: write.historyLimit })
            : [];
      return { row, created: seq === 1, history, startedAt: now };
    });
  }

  finish(
    end: RunEnd,
    deadline = performance.now() + this.#store.leaseMs,
  ): boolean | Promise<boolean> {
    try {
      return this.#finish(end);
    } catch (error) {
      // The write lock stayed with another process: retry (without blocking this one) while
      // the lease can still be ours.
      if (isSqliteBusy(error) && performance.now() < deadline) {
        return pause(20).then(() => this.finish(end, deadline));
      }
      throw toSqliteStorageError(error, this.#file);
    }
  }

  #finish(end: RunEnd): boolean | Promise<boolean> {
    const db = this.#handle();
    if (db.inTransaction) return whenIdle(db).then(() => this.finish(end));
    const q = this.#statements();
    const now = this.#store.now();
    const { sessionId: id, owner } = end;
    // Its first statement writes: it takes the write lock and reads the database as it is then,
    // as `BEGIN IMMEDIATE` would, without a statement of its own.
    return this.#transaction(db, q.beginDeferred, () => {
      if (end.state !== undefined) {
        const { state, extraData, version } = end.state;
        const save = { id, state, version, nextVersion: version + 1, owner, now };
        const saved =
          extraData === undefined
            ? q.saveState.run(save)
            : q.saveStateWithExtra.run({ ...save, extraData });
        if (saved === 0) return false;
      }
      if (end.run !== undefined) q.endRun.run({ runId: end.runId, ...end.run, now });
      if (end.children.length > 0) this.#run(this.#store.queries.insertChildren(end.children));
      for (const row of end.events ?? []) q.insertEvent.run(row);
      if (end.state === undefined) q.releaseLease.run({ id, owner });
      return true;
    });
  }

  recordStep(
    params: StepParams,
    deadline = performance.now() + this.#store.leaseMs,
  ): boolean | Promise<boolean> {
    try {
      return this.#statements().recordStep.run(params) > 0;
    } catch (error) {
      if (isSqliteBusy(error) && performance.now() < deadline) {
        return pause(20).then(() => this.recordStep(params, deadline));
      }
      throw toSqliteStorageError(error, this.#file);
    }
  }

  renew(sessionId: string, owner: string): void {
    const db = this.#handle();
    if (db.inTransaction) return; // The next renewal comes within leaseMs / 3.
    const expires = this.#store.now() + this.#store.leaseMs;
    this.#named(() => this.#statements().renewLease.run({ id: sessionId, owner, expires }));
  }

  release(sessionId: string, owner: string): void | Promise<void> {
    const db = this.#handle();
    if (db.inTransaction) return whenIdle(db).then(() => this.release(sessionId, owner));
    this.#named(() => this.#statements().releaseLease.run({ id: sessionId, owner }));
  }

  /** Runs `call`, its SQLite errors named (see `toSqliteStorageError`). */
  #named<T>(call: () => T): T {
    try {
      return call();
    } catch (error) {
      throw toSqliteStorageError(error, this.#file);
    }
  }

  /** Runs `body` in one transaction opened by `begin`; rolls back when it throws. */
  #transaction<T>(db: RawDatabase, begin: { run(): number }, body: () => T): T {
    const { commit, rollback } = this.#statements();
    begin.run();
    try {
      const result = body();
      commit.run();
      return result;
    } catch (error) {
      // SQLite has already rolled back after some failures (a full disk, an I/O error); the
      // error to report is the first one, whatever the rollback says.
      if (db.inTransaction) {
        try {
          rollback.run();
        } catch {}
      }
      throw error;
    }
  }

  /** Runs a query built for one call (not on the hot path). */
  #run(query: Compilable<unknown>): void {
    const { sql, parameters } = query.compile();
    this.#handle()
      .prepare(sql)
      .run(...parameters);
  }

  #statements() {
    this.#bound ??= this.bind();
    return this.#bound;
  }

  /** Prepares the hot-path statements on the handle (once, on first use). */
  private bind() {
    const { queries } = this.#store;
    // Transaction control (begin, commit, rollback) is not reported to onQuery.
    const plain = (sql: string) => {
      const statement = this.#handle().prepare(sql);
      return { run: () => statement.run().changes };
    };
    return {
      // Rows as arrays here too: the claimed session's fifteen columns.
      claim: this.#template(queries.claim, true),
      claimExisting: this.#template(queries.claimExisting),
      readSession: this.#template(queries.readSession, true),
      readLease: this.#template(queries.readLease),
      abandonRun: this.#template(queries.abandonRun),
      startRun: this.#template(queries.startRun),
      // Rows as arrays: better-sqlite3 makes objects column by column, which costs more here.
      history: this.#template(queries.history, true),
      saveState: this.#template(queries.saveState),
      saveStateWithExtra: this.#template(queries.saveStateWithExtra),
      endRun: this.#template(queries.endRun),
      insertEvent: this.#template(queries.insertEvent),
      releaseLease: this.#template(queries.releaseLease),
      renewLease: this.#template(queries.renewLease),
      recordStep: this.#template(
        new QueryTemplate([...stepKeys], (p: StepParams) =>
          recordStepQuery(this.#store.db, this.#store.tables, p, plainValues),
        ),
      ),
      begin: plain("begin immediate"),
      beginDeferred: plain("begin"),
      commit: plain("commit"),
      rollback: plain("rollback"),
    };
  }

  /** Prepares `template` (returning rows as arrays when `raw`); reports each run to `onQuery`. */
  #template<P extends object>(template: QueryTemplate<P, unknown>, raw = false): Bound<P> {
    const { sql } = template;
    const toParameters = (p: P) => template.parameters(p);
    const statement = this.#handle().prepare(sql);
    if (raw) statement.raw(true);
    const onQuery = this.#onQuery;
    if (onQuery === undefined) {
      return {
        run: (p) => statement.run(...toParameters(p)).changes,
        get: <R>(p: P) => statement.get(...toParameters(p)) as R | undefined,
        all: <R>(p: P) => statement.all(...toParameters(p)) as R[],
      };
    }
    const logged =
      <T>(call: (parameters: unknown[]) => T) =>
      (p: P): T => {
        const parameters = toParameters(p);
        const start = performance.now();
        try {
          const result = call(parameters);
          onQuery({ sql, parameters, durationMs: performance.now() - start });
          return result;
        } catch (error) {
          onQuery({ sql, parameters, durationMs: performance.now() - start, error });
          throw error;
        }
      };
    return {
      run: logged((parameters) => statement.run(...parameters).changes),
      get: logged((parameters) => statement.get(...parameters)) as Bound<P>["get"],
      all: logged((parameters) => statement.all(...parameters)) as Bound<P>["all"],
    };
  }
}

/** SQLite takes every value as it is. */
const plainValues: StepValueTypes = {
  json: (value) => sql<string | null>`${value}`,
  bigint: (value) => sql<number>`${value}`,
  text: (value) => sql<string>`${value}`,
};

/** Resolves once the handle has no transaction open (one a Kysely query of this process holds). */
function whenIdle(db: RawDatabase): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (db.inTransaction ? setTimeout(check, 1) : resolve());
    setImmediate(check);
  });
}
