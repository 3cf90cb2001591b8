import type { Kysely } from "kysely";
import { BuddyError, InvalidOptionError, StorageConfigError } from "../../errors.js";
import type { RunResponse } from "../../run/run-response.js";
import { checkOptionalField, checkSessionField } from "../session-fields.js";
import type { StepRecord } from "../step-record.js";
import type { StoredEvent } from "../stored-event.js";
import type { WorkflowSession } from "../workflow-session.js";
import type {
  ListSessionsOptions,
  OpenRunRequest,
  SessionRun,
  SuspendedRun,
  WorkflowStorage,
} from "../workflow-storage.js";
import { cancelRequested, listEvents, requestCancel } from "./event-log-store.js";
import { HistoryCache } from "./history-cache.js";
import { LeaseRenewals } from "./lease.js";
import { defaultColumnTypes, migrateStore, type StoreColumnTypes } from "./migrations.js";
import { type ActiveRuns, openSessionRun } from "./open-run.js";
import { queryLimit } from "./query-limit.js";
import type { RunLedger } from "./run-ledger.js";
import { decodeRun, decodeWaits } from "./run-rows.js";
import { SessionQueue } from "./session-queue.js";
import { decodeSession } from "./session-rows.js";
import { decodeStep, rootRunId } from "./step-rows.js";
import type { StoreContext } from "./store-context.js";
import { type LeaseExpiry, storeQueries } from "./store-queries.js";
import { type StoreDatabase, storeTables } from "./store-tables.js";

/** What a database-specific store hands to {@link KyselyStorage}. */
export interface KyselyStorageConfig {
  /** The Kysely instance on the store's database (its dialect decides the SQL flavour). */
  readonly db: Kysely<StoreDatabase>;
  /** Runs the statements of a run's lifecycle (claim, save, release) on this database. */
  readonly ledger: (store: StoreContext) => RunLedger;
  /** How a claim tells that a held lease ran out (see {@link LeaseExpiry}). Default `"clock"`. */
  readonly leaseExpiry?: LeaseExpiry;
  /** Sessions table; runs go to `<tableName>_runs`. Default `"buddy_sessions"`. */
  readonly tableName?: string;
  /** How long `openRun` waits for a busy session (ms). Default 30 000. */
  readonly busyTimeoutMs?: number;
  /** How long a claim on a session lasts without renewal (ms). Default 15 000. */
  readonly leaseMs?: number;
  readonly eventRetentionMs?: number;
  /** Column types of the tables this store creates. */
  readonly columnTypes?: StoreColumnTypes;
  /** Schema of the migration bookkeeping tables, when `db` places the store's tables in one. */
  readonly migrationSchema?: string;
  /**
   * The first-use setup around the migration: a store may hold a lock across processes, or read
   * the database's clock, and must call `migrate` with the Kysely instance (or single connection)
   * to migrate on. Default: `migrate(db)`.
   */
  readonly setUp?: (migrate: (db: Kysely<StoreDatabase>) => Promise<void>) => Promise<void>;
  /**
   * The clock of leases and stored timestamps (epoch ms). Processes on other machines compare
   * lease expiries written with it, so a store with a server may supply the server's clock.
   * Default `Date.now`.
   */
  readonly now?: () => number;
}

/**
 * The session store on any Kysely dialect: the SQL lives here once, and `sqliteStorage` (and
 * the Postgres store) only supply a configured Kysely instance. See `WorkflowStorage`.
 *
 * Runs on one session take turns: in this process through a FIFO queue per session, across
 * processes through an expiring lease on the session row, renewed while the run is in flight.
 * A session's row is created when its first run starts (the lease lives on it), so a first run
 * that fails or is cancelled leaves the session with empty state and its failed run listed.
 */
export class KyselyStorage implements WorkflowStorage {
  readonly #store: StoreContext;
  readonly #ledger: RunLedger;
  readonly #columnTypes: StoreColumnTypes;
  readonly #migrationSchema: string | undefined;
  readonly #setUp: NonNullable<KyselyStorageConfig["setUp"]>;
  readonly #active: ActiveRuns;
  #ready: Promise<void> | undefined;
  #closed = false;

  constructor(config: KyselyStorageConfig) {
    const tables = storeTables(config.tableName ?? "buddy_sessions");
    this.#store = {
      db: config.db,
      tables,
      queries: storeQueries(config.db, tables, config.leaseExpiry ?? "clock"),
      busyTimeoutMs: positive("busyTimeoutMs", config.busyTimeoutMs ?? 30_000),
      leaseMs: positive("leaseMs", config.leaseMs ?? 15_000),
      eventRetentionMs: positive("eventRetentionMs", config.eventRetentionMs ?? 7 * 86_400_000),
      now: config.now ?? Date.now,
    };
    this.#ledger = config.ledger(this.#store);
    this.#active = {
      queue: new SessionQueue(),
      renewals: new LeaseRenewals(this.#ledger, this.#store.leaseMs),
      history: new HistoryCache(),
      deadLeases: new Map(),
      prunedAt: 0,
    };
    this.#columnTypes = config.columnTypes ?? defaultColumnTypes;
    this.#migrationSchema = config.migrationSchema;
    this.#setUp = config.setUp ?? ((migrate) => migrate(config.db));
  }

  async readSession(sessionId: string): Promise<WorkflowSession | undefined> {
    checkSessionField("sessionId", sessionId);
    const { db, queries } = await this.#open();
    const [row] = (await queries.readSession.execute(db, { id: sessionId })).rows;
    return row === undefined ? undefined : decodeSession(row);
  }

  async listSessions(options: ListSessionsOptions = {}): Promise<WorkflowSession[]> {
    checkOptionalField("workflowId", options.workflowId);
    checkOptionalField("userId", options.userId);
    const { db, tables } = await this.#open();
    let query = db
      .selectFrom(tables.sessions)
      .selectAll()
      .orderBy("updated_at", "desc")
      .orderBy("created_at", "desc")
      .orderBy("session_id");
    if (options.workflowId !== undefined)
      query = query.where("workflow_id", "=", options.workflowId);
    if (options.userId !== undefined) query = query.where("user_id", "=", options.userId);
    if (options.limit !== undefined) query = query.limit(queryLimit(options.limit));
    return (await query.execute()).map(decodeSession);
  }

  async deleteSession(sessionId: string): Promise<void> {
    checkSessionField("sessionId", sessionId);
    const { db, tables } = await this.#open();
    this.#active.history.forget(sessionId);
    await db.transaction().execute(async (trx) => {
      // The journals and event logs are keyed by the session's top-level runs.
      for (const table of [tables.steps, tables.events] as const) {
        await trx
          .deleteFrom(table)
          .where("root_run_id", "in", (eb) =>
            eb
              .selectFrom(tables.runs)
              .select("run_id")
              .where("session_id", "=", sessionId)
              .where("parent_run_id", "is", null),
          )
          .execute();
      }
      await trx.deleteFrom(tables.runs).where("session_id", "=", sessionId).execute();
      await trx.deleteFrom(tables.sessions).where("session_id", "=", sessionId).execute();
    });
  }

  async renameSession(sessionId: string, sessionName: string): Promise<boolean> {
    checkSessionField("sessionId", sessionId);
    checkSessionField("sessionName", sessionName);
    const { db, tables } = await this.#open();
    const result = await db
      .updateTable(tables.sessions)
      .set({ session_name: sessionName, updated_at: this.#store.now() })
      .where("session_id", "=", sessionId)
      .executeTakeFirst();
    return (result.numUpdatedRows ?? 0n) > 0n;
  }

  async listRuns(sessionId: string, options: { limit?: number } = {}): Promise<RunResponse[]> {
    checkSessionField("sessionId", sessionId);
    const { db, tables } = await this.#open();
    const query = db.selectFrom(tables.runs).selectAll().where("session_id", "=", sessionId);
    if (options.limit === undefined) {
      const rows = await query.orderBy("seq").orderBy("position").execute();
      return rows.map(decodeRun);
    }
    const rows = await query
      .orderBy("seq", "desc")
      .orderBy("position", "desc")
      .limit(queryLimit(options.limit))
      .execute();
    return rows.reverse().map(decodeRun);
  }

  async getRun(runId: string): Promise<RunResponse | undefined> {
    checkSessionField("runId", runId);
    const { db, tables } = await this.#open();
    const row = await db
      .selectFrom(tables.runs)
      .selectAll()
      .where("run_id", "=", runId)
      .executeTakeFirst();
    return row === undefined ? undefined : decodeRun(row);
  }

  async listSteps(runId: string): Promise<StepRecord[]> {
    checkSessionField("runId", runId);
    const { db, tables } = await this.#open();
    const rows = await db
      .selectFrom(tables.steps)
      .selectAll()
      .where("root_run_id", "=", rootRunId(runId))
      .where("run_id", "=", runId)
      .orderBy("seq")
      .execute();
    return rows.map((row) => decodeStep(row));
  }

  async listInterruptedRuns(workflowIds: readonly string[]): Promise<RunResponse[]> {
    for (const id of workflowIds) checkSessionField("workflowId", id);
    if (workflowIds.length === 0) return [];
    const { db, tables } = await this.#open();
    const now = this.#store.now();
    const rows = await db
      .selectFrom(tables.runs)
      .selectAll()
      .where("parent_run_id", "is", null)
      .where("workflow_id", "in", [...workflowIds])
      .where((eb) =>
        eb.or([
          // Running, while no live process holds its session.
          eb.and([
            eb("status", "=", "running"),
            eb(
              "run_id",
              "in",
              eb
                .selectFrom(tables.sessions)
                .select("lease_run_id")
                .where("lease_run_id", "is not", null)
                .where((w) =>
                  w.or([w("lease_owner", "is", null), w("lease_expires_at", "<=", now)]),
                ),
            ),
          ]),
          // Suspended, and one of its waits timed out.
          eb.and([eb("status", "=", "suspended"), eb("wake_at", "<=", now)]),
        ]),
      )
      .orderBy("created_at")
      .execute();
    return rows.map(decodeRun);
  }

  async listSuspendedRuns(
    options: { sessionId?: string; limit?: number } = {},
  ): Promise<SuspendedRun[]> {
    checkOptionalField("sessionId", options.sessionId);
    const { db, tables } = await this.#open();
    let query = db
      .selectFrom(tables.runs)
      .selectAll()
      .where("status", "=", "suspended")
      .where("parent_run_id", "is", null)
      .orderBy("created_at")
      .orderBy("run_id");
    if (options.sessionId !== undefined) query = query.where("session_id", "=", options.sessionId);
    if (options.limit !== undefined) query = query.limit(queryLimit(options.limit));
    return (await query.execute()).map((row) => ({
      run: decodeRun(row),
      waitingFor: decodeWaits(row.session_id, row.run_id, row.waiting_for),
    }));
  }

  async listEvents(
    runId: string,
    options: { after?: number; limit?: number } = {},
  ): Promise<StoredEvent[]> {
    checkSessionField("runId", runId);
    const after = options.after ?? 0;
    if (!Number.isInteger(after) || after < 0) {
      throw new InvalidOptionError(`after must be a whole number ≥ 0 (a seq), got ${after}`);
    }
    const store = await this.#open();
    return listEvents(store, runId, after, options.limit ?? 1000);
  }

  async requestCancel(
    runId: string,
    reason = "Cancelled on request",
  ): Promise<"cancelled" | "requested" | undefined> {
    checkSessionField("runId", runId);
    return requestCancel(await this.#open(), runId, reason);
  }

  async cancelRequested(runIds: readonly string[]): Promise<string[]> {
    for (const id of runIds) checkSessionField("runId", id);
    return cancelRequested(await this.#open(), runIds);
  }

  async openRun(request: OpenRunRequest): Promise<SessionRun> {
    checkSessionField("sessionId", request.sessionId);
    checkSessionField("runId", request.runId);
    checkSessionField("workflowId", request.workflowId);
    checkOptionalField("userId", request.userId);
    checkOptionalField("sessionName", request.sessionName);
    return openSessionRun(await this.#open(), this.#ledger, this.#active, request);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#active.renewals.stop();
    await this.#ready?.catch(() => {});
    await this.#store.db.destroy();
  }

  /** Creates or migrates the tables on first use; every operation starts here. */
  async #open(): Promise<StoreContext> {
    if (this.#closed) {
      throw new BuddyError("This session store is closed; create a new one to keep working");
    }
    this.#ready ??= this.#setUp((db) =>
      migrateStore(db, this.#store.tables, this.#columnTypes, this.#migrationSchema),
    ).catch((error: unknown) => {
      this.#ready = undefined; // Let the next call try again.
      throw error;
    });
    await this.#ready;
    return this.#store;
  }
}

function positive(name: string, value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new StorageConfigError(`${name} must be a positive number of milliseconds, got ${value}`);
  }
  return value;
}
