import {
  type Expression,
  expressionBuilder,
  type Insertable,
  type Kysely,
  type QueryCreator,
  type SqlBool,
} from "kysely";
import type { RunStatus } from "../../run/run-response.js";
import type { EventTable } from "./event-table.js";
import { QueryTemplate } from "./query-template.js";
import { encodedEmpty } from "./run-rows.js";
import type { RunTable } from "./run-table.js";
import { sessionColumns } from "./session-table.js";
import type { StoreDatabase, StoreTables } from "./store-tables.js";

/** The queries every run makes (claim, load, start, save, release), compiled once per store. */
export type StoreQueries = ReturnType<typeof storeQueries>;

/** Parameters of {@link storeQueries}' `claim`. */
export interface ClaimParams {
  id: string;
  workflowId: string;
  userId: string | null;
  sessionName: string | null;
  workflowData: string;
  owner: string;
  runId: string;
  expires: number;
  now: number;
  /** An owner whose lease this process knows is dead (its run's save failed): taken over. */
  takeOver: string | null;
  /** With `leases: "observed"`: the owner and expiry of a lease seen unrenewed long enough. */
  stale: string | null;
  staleExpires: number | null;
}

/**
 * How a claim tells that a held lease has run out. `"clock"`: its expiry is past by the clock
 * every process shares (the database server's). `"observed"`: the claiming process saw it
 * unrenewed for long enough by its own monotonic clock, and names it (`stale`, `staleExpires`),
 * so no process's wall clock can end a live lease.
 */
export type LeaseExpiry = "clock" | "observed";

/** Parameters of {@link storeQueries}' `startRun`. */
export interface StartParams {
  runId: string;
  id: string;
  workflowId: string;
  seq: number;
  input: string;
  now: number;
}

/** Parameters of {@link storeQueries}' `endRun`. */
export interface EndRunParams {
  /** What a suspended run waits for (encoded), else null. */
  waitingFor: string | null;
  /** When the first of a suspended run's waits times out (epoch ms), else null. */
  wakeAt: number | null;
  /** The `seq` of the run's last event. */
  eventSeq: number | null;
  runId: string;
  status: RunStatus;
  contentType: string;
  content: string;
  metrics: string;
  messages: string;
  extraData: string;
  error: string | null;
  now: number;
}

/** Parameters of {@link storeQueries}' `saveState` (and `extraData` for `saveStateWithExtra`). */
export interface SaveParams {
  id: string;
  state: string;
  version: number;
  nextVersion: number;
  owner: string;
  now: number;
}

/** The columns of a history row, in the order {@link decodeHistoryRow} reads them. */
export const historyColumns = [
  "run_id",
  "workflow_id",
  "content_type",
  "input",
  "content",
  "metrics",
  "messages",
  "extra_data",
  "created_at",
] as const;

/**
 * The statements a run's lifecycle is made of, as Kysely builders on any query creator (the
 * database, a transaction, or a `with` clause that combines several into one statement).
 */
export function storeStatements(t: StoreTables, expiry: LeaseExpiry) {
  // The claim's conflict branch refers to the stored row by the table's (real) name.
  const stored = <C extends string>(column: C) => `${t.sessions}.${column}` as `sessions.${C}`;
  /** Whether the stored session's lease can be taken (see {@link LeaseExpiry}). */
  const leaseFree = (p: ClaimParams): Expression<SqlBool> => {
    const eb = expressionBuilder<StoreDatabase, "sessions">();
    return eb.or([
      eb(stored("lease_owner"), "is", null),
      eb(stored("lease_owner"), "=", p.takeOver),
      ...(expiry === "clock"
        ? [eb(stored("lease_expires_at"), "is", null), eb(stored("lease_expires_at"), "<=", p.now)]
        : [
            eb.and([
              eb(stored("lease_owner"), "=", p.stale),
              eb(stored("lease_expires_at"), "=", p.staleExpires),
            ]),
          ]),
    ]);
  };
  return {
    claim: (db: QueryCreator<StoreDatabase>, p: ClaimParams) =>
      db
        .insertInto(t.sessions)
        .values({
          session_id: p.id,
          workflow_id: p.workflowId,
          user_id: p.userId,
          session_name: p.sessionName,
          session_state: encodedEmpty.object,
          extra_data: encodedEmpty.object,
          workflow_data: p.workflowData,
          version: 0,
          run_count: 1,
          lease_owner: p.owner,
          lease_run_id: p.runId,
          lease_expires_at: p.expires,
          previous_run_id: null,
          created_at: p.now,
          updated_at: p.now,
        })
        .onConflict((conflict) =>
          conflict
            .column("session_id")
            .doUpdateSet((eb) => ({
              lease_owner: eb.ref("excluded.lease_owner"),
              lease_run_id: eb.ref("excluded.lease_run_id"),
              lease_expires_at: eb.ref("excluded.lease_expires_at"),
              previous_run_id: eb.ref(stored("lease_run_id")),
              run_count: eb(eb.ref(stored("run_count")), "+", 1),
              session_name: eb.fn.coalesce("excluded.session_name", stored("session_name")),
              user_id: eb.fn.coalesce(stored("user_id"), "excluded.user_id"),
            }))
            .where(leaseFree(p)),
        ),
    /**
     * {@link claim}'s update alone, for a session that exists: takes its lease when free or
     * expired (changes one row), else changes none (absent, or held).
     */
    claimExisting: (db: QueryCreator<StoreDatabase>, p: ClaimParams) =>
      db
        .updateTable(t.sessions)
        .set((eb) => ({
          lease_owner: p.owner,
          lease_run_id: p.runId,
          lease_expires_at: p.expires,
          previous_run_id: eb.ref(stored("lease_run_id")),
          run_count: eb(eb.ref(stored("run_count")), "+", eb.lit(1)).$castTo<number>(),
          session_name: eb.fn.coalesce(eb.val(p.sessionName), stored("session_name")),
          user_id: eb.fn.coalesce(stored("user_id"), eb.val(p.userId)),
        }))
        .where("session_id", "=", p.id)
        .where(leaseFree(p)),
    /** Ends the run whose expired lease a claim took over as `error`, if it is still `running`. */
    abandonRun: (db: QueryCreator<StoreDatabase>, p: { error: string; now: number }) =>
      db
        .updateTable(t.runs)
        .set({ status: "error", error: p.error, updated_at: p.now })
        .where("status", "=", "running"),
    save: (db: QueryCreator<StoreDatabase>, p: SaveParams & { extraData?: string }) => {
      const update = db
        .updateTable(t.sessions)
        .set({
          session_state: p.state,
          version: p.nextVersion,
          lease_owner: null,
          lease_expires_at: null,
          updated_at: p.now,
        })
        .where("session_id", "=", p.id)
        .where("version", "=", p.version)
        .where("lease_owner", "=", p.owner);
      return p.extraData === undefined ? update : update.set({ extra_data: p.extraData });
    },
    // A completed row is final: its state was saved in the same transaction. A failure reported
    // after that commit (a lost reply) must not turn it into an error.
    endRun: (db: QueryCreator<StoreDatabase>, p: EndRunParams) =>
      db
        .updateTable(t.runs)
        .set(runEndValues(p))
        .where("run_id", "=", p.runId)
        .where("status", "!=", "completed"),
    release: (db: QueryCreator<StoreDatabase>, p: { id: string; owner: string }) =>
      db
        .updateTable(t.sessions)
        .set({ lease_owner: null, lease_expires_at: null })
        .where("session_id", "=", p.id)
        .where("lease_owner", "=", p.owner),
  };
}

/** The columns a run's end sets. */
export function runEndValues(p: EndRunParams) {
  return {
    status: p.status,
    content_type: p.contentType,
    content: p.content,
    metrics: p.metrics,
    messages: p.messages,
    extra_data: p.extraData,
    error: p.error,
    waiting_for: p.waitingFor,
    wake_at: p.wakeAt,
    event_seq: p.eventSeq,
    updated_at: p.now,
  };
}

/** The keys of the claim's parameters for each way of telling an expired lease. */
export function claimKeys(expiry: LeaseExpiry): (keyof ClaimParams)[] {
  const keys: (keyof ClaimParams)[] = [
    "id",
    "workflowId",
    "userId",
    "sessionName",
    "workflowData",
    "owner",
    "runId",
    "expires",
    "now",
    "takeOver",
  ];
  return expiry === "clock" ? keys : [...keys, "stale", "staleExpires"];
}

/** The keys of `claimExisting`'s parameters: the claim's, but for the new row's own values. */
function claimExistingKeys(expiry: LeaseExpiry): (keyof ClaimParams)[] {
  const unused = new Set<keyof ClaimParams>(["workflowId", "workflowData"]);
  if (expiry === "observed") unused.add("now");
  return claimKeys(expiry).filter((key) => !unused.has(key));
}

/** The keys of each statement's parameters, as {@link QueryTemplate} takes them. */
export const statementKeys = {
  save: ["id", "state", "version", "nextVersion", "owner", "now"],
  endRun: [
    "runId",
    "status",
    "contentType",
    "content",
    "metrics",
    "messages",
    "extraData",
    "error",
    "waitingFor",
    "wakeAt",
    "eventSeq",
    "now",
  ],
} as const;

/** Builds the store's {@link QueryTemplate}s for the tables `t`. */
export function storeQueries(db: Kysely<StoreDatabase>, t: StoreTables, expiry: LeaseExpiry) {
  const statements = storeStatements(t, expiry);
  return {
    /** A session's row (its `sessionColumns`, in that order: a claim reads it so too). */
    readSession: new QueryTemplate(["id"], (p: { id: string }) =>
      db.selectFrom(t.sessions).select(sessionColumns).where("session_id", "=", p.id),
    ),
    /**
     * Creates the session holding the lease, or takes its lease when free or expired (one
     * statement: atomic on every database), counting the run, renaming the session when a name
     * is given and giving it its user when it has none. Returns the row as claimed (its
     * `sessionColumns`), or nothing.
     */
    claim: new QueryTemplate(claimKeys(expiry), (p: ClaimParams) =>
      statements.claim(db, p).returning(sessionColumns),
    ),
    /** {@link claim} of a session that exists (see `storeStatements`); returns nothing. */
    claimExisting: new QueryTemplate(claimExistingKeys(expiry), (p: ClaimParams) =>
      statements.claimExisting(db, p),
    ),
    /** The lease of a session, read when a claim found it held. */
    readLease: new QueryTemplate(["id"], (p: { id: string }) =>
      db
        .selectFrom(t.sessions)
        .select(["lease_owner", "lease_expires_at"])
        .where("session_id", "=", p.id),
    ),
    abandonRun: new QueryTemplate(
      ["runId", "error", "now"],
      (p: { runId: string; error: string; now: number }) =>
        statements.abandonRun(db, p).where("run_id", "=", p.runId),
    ),
    history: new QueryTemplate(["id", "limit"], (p: { id: string; limit: number }) =>
      db
        .selectFrom(t.runs)
        .select(historyColumns)
        .where("session_id", "=", p.id)
        .where("status", "=", "completed")
        .where("parent_run_id", "is", null)
        .orderBy("seq", "desc")
        .limit(p.limit),
    ),
    startRun: new QueryTemplate(
      ["runId", "id", "workflowId", "seq", "input", "now"],
      (p: StartParams) =>
        db.insertInto(t.runs).values({
          run_id: p.runId,
          session_id: p.id,
          parent_run_id: null,
          workflow_id: p.workflowId,
          seq: p.seq,
          position: 0,
          status: "running",
          content_type: "str",
          input: p.input,
          content: encodedEmpty.undefined,
          metrics: encodedEmpty.object,
          messages: encodedEmpty.array,
          extra_data: encodedEmpty.object,
          error: null,
          created_at: p.now,
          updated_at: p.now,
        }),
    ),
    /** Saves state (compare-and-swap on version and lease) and releases the lease. */
    saveState: new QueryTemplate([...statementKeys.save], (p: SaveParams) =>
      statements.save(db, p),
    ),
    /** {@link saveState}, also saving the session's extra data. */
    saveStateWithExtra: new QueryTemplate(
      [...statementKeys.save, "extraData"],
      (p: SaveParams & { extraData: string }) => statements.save(db, p),
    ),
    endRun: new QueryTemplate([...statementKeys.endRun], (p: EndRunParams) =>
      statements.endRun(db, p),
    ),
    /** Inserts a run's child runs (built per call: their number varies). */
    insertChildren: (rows: readonly Insertable<RunTable>[]) =>
      db
        .insertInto(t.runs)
        .values([...rows])
        .onConflict((conflict) => conflict.column("run_id").doNothing()),
    /** Inserts logged events (built per call; an event already there is left as it is). */
    insertEvents: (rows: readonly Insertable<EventTable>[]) =>
      db
        .insertInto(t.events)
        .values([...rows])
        .onConflict((conflict) => conflict.columns(["root_run_id", "seq"]).doNothing()),
    /** Inserts one batch of logged events, as {@link insertEvents} does. */
    insertEvent: new QueryTemplate(
      ["root_run_id", "seq", "data", "created_at"],
      (row: Insertable<EventTable>) =>
        db
          .insertInto(t.events)
          .values(row)
          .onConflict((conflict) => conflict.columns(["root_run_id", "seq"]).doNothing()),
    ),
    releaseLease: new QueryTemplate(["id", "owner"], (p: { id: string; owner: string }) =>
      statements.release(db, p),
    ),
    renewLease: new QueryTemplate(
      ["id", "owner", "expires"],
      (p: { id: string; owner: string; expires: number }) =>
        db
          .updateTable(t.sessions)
          .set({ lease_expires_at: p.expires })
          .where("session_id", "=", p.id)
          .where("lease_owner", "=", p.owner),
    ),
  };
}
