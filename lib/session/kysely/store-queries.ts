import type { Kysely } from "kysely";
import type { RunStatus } from "../../run/run-response.js";
import { QueryTemplate } from "./query-template.js";
import { encodedEmpty } from "./run-rows.js";
import type { StoreDatabase, StoreTables } from "./store-tables.js";

/** The queries every run makes (claim, load, start, save, release), compiled once per store. */
export type StoreQueries = ReturnType<typeof storeQueries>;

interface Claim {
  id: string;
  owner: string;
  runId: string;
  expires: number;
  runCount: number;
  seenRunCount: number;
}

/** Builds the store's {@link QueryTemplate}s for the tables `t`. */
export function storeQueries(db: Kysely<StoreDatabase>, t: StoreTables) {
  const claimSet = (p: Claim) =>
    db
      .updateTable(t.sessions)
      .set({
        lease_owner: p.owner,
        lease_run_id: p.runId,
        lease_expires_at: p.expires,
        run_count: p.runCount,
      })
      .where("session_id", "=", p.id)
      .where("run_count", "=", p.seenRunCount);
  const keys = ["id", "owner", "runId", "expires", "runCount", "seenRunCount"] as const;
  return {
    readSession: new QueryTemplate(["id"], (p: { id: string }) =>
      db.selectFrom(t.sessions).selectAll().where("session_id", "=", p.id),
    ),
    /** Claims a free lease. */
    claimFree: new QueryTemplate([...keys], (p: Claim) =>
      claimSet(p).where("lease_owner", "is", null),
    ),
    /** Takes over the expired lease of `holder`. */
    claimExpired: new QueryTemplate(
      [...keys, "holder", "now"],
      (p: Claim & { holder: string; now: number }) =>
        claimSet(p)
          .where("lease_owner", "=", p.holder)
          .where((eb) =>
            eb.or([eb("lease_expires_at", "is", null), eb("lease_expires_at", "<=", p.now)]),
          ),
    ),
    history: new QueryTemplate(["id", "limit"], (p: { id: string; limit: number }) =>
      db
        .selectFrom(t.runs)
        .selectAll()
        .where("session_id", "=", p.id)
        .where("status", "=", "completed")
        .where("parent_run_id", "is", null)
        .orderBy("seq", "desc")
        .limit(p.limit),
    ),
    startRun: new QueryTemplate(
      ["runId", "id", "workflowId", "seq", "input", "now"],
      (p: {
        runId: string;
        id: string;
        workflowId: string;
        seq: number;
        input: string;
        now: number;
      }) =>
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
    saveState: new QueryTemplate(
      ["id", "state", "version", "nextVersion", "owner", "now"],
      (p: {
        id: string;
        state: string;
        version: number;
        nextVersion: number;
        owner: string;
        now: number;
      }) =>
        db
          .updateTable(t.sessions)
          .set({
            session_state: p.state,
            version: p.nextVersion,
            lease_owner: null,
            lease_run_id: null,
            lease_expires_at: null,
            updated_at: p.now,
          })
          .where("session_id", "=", p.id)
          .where("version", "=", p.version)
          .where("lease_owner", "=", p.owner),
    ),
    /** {@link saveState}, also saving the session's extra data. */
    saveStateWithExtra: new QueryTemplate(
      ["id", "state", "extraData", "version", "nextVersion", "owner", "now"],
      (p: {
        id: string;
        state: string;
        extraData: string;
        version: number;
        nextVersion: number;
        owner: string;
        now: number;
      }) =>
        db
          .updateTable(t.sessions)
          .set({
            session_state: p.state,
            extra_data: p.extraData,
            version: p.nextVersion,
            lease_owner: null,
            lease_run_id: null,
            lease_expires_at: null,
            updated_at: p.now,
          })
          .where("session_id", "=", p.id)
          .where("version", "=", p.version)
          .where("lease_owner", "=", p.owner),
    ),
    endRun: new QueryTemplate(
      [
        "runId",
        "status",
        "contentType",
        "content",
        "metrics",
        "messages",
        "extraData",
        "error",
        "now",
      ],
      (p: {
        runId: string;
        status: RunStatus;
        contentType: string;
        content: string;
        metrics: string;
        messages: string;
        extraData: string;
        error: string | null;
        now: number;
      }) =>
        db
          .updateTable(t.runs)
          .set({
            status: p.status,
            content_type: p.contentType,
            content: p.content,
            metrics: p.metrics,
            messages: p.messages,
            extra_data: p.extraData,
            error: p.error,
            updated_at: p.now,
          })
          .where("run_id", "=", p.runId),
    ),
    /** Fails the run of a lease that expired (when it is still `running`). */
    markAbandoned: new QueryTemplate(
      ["runId", "error", "now"],
      (p: { runId: string; error: string; now: number }) =>
        db
          .updateTable(t.runs)
          .set({ status: "error", error: p.error, updated_at: p.now })
          .where("run_id", "=", p.runId)
          .where("status", "=", "running"),
    ),
    releaseLease: new QueryTemplate(["id", "owner"], (p: { id: string; owner: string }) =>
      db
        .updateTable(t.sessions)
        .set({ lease_owner: null, lease_run_id: null, lease_expires_at: null })
        .where("session_id", "=", p.id)
        .where("lease_owner", "=", p.owner),
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
