import type { Insertable, Kysely } from "kysely";
import { SessionDecodeError } from "../../errors.js";
import { type EventBatch, packEvents } from "../event-batch.js";
import { contentTail, endsAtContent, PackedBatch } from "../event-unpack.js";
import { decodeStoredValue } from "../state-codec.js";
import type { StoredEvent } from "../stored-event.js";
import type { EventTable } from "./event-table.js";
import { toNumber } from "./session-table.js";
import type { StoreContext } from "./store-context.js";
import type { StoreDatabase } from "./store-tables.js";

/**
 * The row of a batch of top-level run `rootRunId`'s events. `content` is the run's final content
 * when the batch is saved with it, in the same transaction: a batch whose text part is the end of
 * that content keeps none of it (see `contentTail`), and is read back from the run's row.
 */
export function eventRow(
  rootRunId: string,
  batch: EventBatch,
  content?: string,
): Insertable<EventTable> {
  return {
    root_run_id: rootRunId,
    seq: batch.lastSeq,
    data: content === undefined ? batch.data : contentTail(batch, content),
    created_at: batch.createdAt,
  };
}

/** Writes a batch of logged events (a batch already there is kept as it is). */
export async function appendEvents(
  store: StoreContext,
  rootRunId: string,
  batch: EventBatch,
): Promise<void> {
  await store.queries.insertEvent.execute(store.db, eventRow(rootRunId, batch));
}

/** The logged events of `runId` after `after`, in order: about `limit` of them, or more. */
export async function listEvents(
  store: StoreContext,
  runId: string,
  after: number,
  limit: number,
): Promise<StoredEvent[]> {
  const { db, tables } = store;
  const events: StoredEvent[] = [];
  // Read from the run's first batch: the batches before one are at hand when it needs their text.
  const read: PackedBatch[] | undefined = after === 0 ? [] : undefined;
  let from = after;
  let content: string | undefined;
  while (events.length < limit) {
    const rows = await db
      .selectFrom(tables.events)
      .select(["seq", "data"])
      .where("root_run_id", "=", runId)
      .where("seq", ">", from)
      .orderBy("seq")
      .limit(16)
      .execute();
    for (const row of rows) {
      if (content === undefined && endsAtContent(row.data))
        content = await runContent(store, runId);
      const batch = new PackedBatch(row.data, content);
      const seq = toNumber(row.seq);
      const earlier = !batch.needsEarlierText
        ? ""
        : (read?.map((b) => b.deltaText()).join("") ?? (await earlierText(store, runId, seq)));
      events.push(...batch.events(after, earlier));
      read?.push(batch);
      from = seq;
    }
    if (rows.length < 16) break;
  }
  return events;
}

/** The text of every delta `runId` logged in batches before the one ending at `seq`. */
async function earlierText(store: StoreContext, runId: string, seq: number): Promise<string> {
  const rows = await store.db
    .selectFrom(store.tables.events)
    .select("data")
    .where("root_run_id", "=", runId)
    .where("seq", "<", seq)
    .orderBy("seq")
    .execute();
  return rows.map((row) => new PackedBatch(row.data).deltaText()).join("");
}

/** The final content of `runId` (a string, when its last batch ends at it: see `contentTail`). */
async function runContent(store: StoreContext, runId: string): Promise<string> {
  const row = await store.db
    .selectFrom(store.tables.runs)
    .select(["session_id", "content"])
    .where("run_id", "=", runId)
    .executeTakeFirst();
  const content = row === undefined ? undefined : decodeStoredValue(row.content);
  if (typeof content === "string") return content;
  throw new SessionDecodeError(
    row?.session_id ?? "(unknown)",
    `the event log of run "${runId}" (its last batch's text is the run's content, which is gone)`,
  );
}

/** The highest `seq` logged for `runId`, or undefined when it logged nothing (`db`: or a transaction). */
export async function lastLoggedSeq(
  store: StoreContext,
  runId: string,
  db: Kysely<StoreDatabase> = store.db,
): Promise<number | undefined> {
  const { tables } = store;
  const row = await db
    .selectFrom(tables.events)
    .select("seq")
    .where("root_run_id", "=", runId)
    .orderBy("seq", "desc")
    .limit(1)
    .executeTakeFirst();
  return row === undefined ? undefined : toNumber(row.seq);
}

/**
 * Asks to cancel top-level run `runId`: a suspended run ends `cancelled` at once (its log, if
 * it keeps one, gets the `WorkflowCancelled` event); a running one is marked for its producer.
 */
export async function requestCancel(
  store: StoreContext,
  runId: string,
  reason: string,
): Promise<"cancelled" | "requested" | undefined> {
  const { db, tables } = store;
  const now = store.now();
  const marked = await db
    .updateTable(tables.runs)
    .set({ cancel_requested_at: now })
    .where("run_id", "=", runId)
    .where("parent_run_id", "is", null)
    .where("status", "=", "running")
    .executeTakeFirst();
  if ((marked.numUpdatedRows ?? 0n) > 0n) return "requested";
  return db.transaction().execute(async (trx) => {
    const run = await trx
      .updateTable(tables.runs)
      .set({
        status: "cancelled",
        error: reason,
        waiting_for: null,
        wake_at: null,
        updated_at: now,
      })
      .where("run_id", "=", runId)
      .where("parent_run_id", "is", null)
      .where("status", "=", "suspended")
      .returning(["session_id", "workflow_id", "event_seq"])
      .executeTakeFirst();
    if (run === undefined) return undefined;
    const last = await lastLoggedSeq(store, runId, trx);
    if (last !== undefined) {
      const seq = Math.max(last, toNumber(run.event_seq ?? 0)) + 1;
      const event = {
        event: "WorkflowCancelled" as const,
        runId,
        sessionId: run.session_id,
        workflowId: run.workflow_id,
        createdAt: now,
        reason,
        seq,
      };
      const row = eventRow(runId, packEvents([event]));
      await trx.executeQuery(store.queries.insertEvents([row]).compile());
      await trx
        .updateTable(tables.runs)
        .set({ event_seq: seq })
        .where("run_id", "=", runId)
        .execute();
    }
    return "cancelled" as const;
  });
}

/** Which of `runIds` (running) were asked to be cancelled. */
export async function cancelRequested(
  store: StoreContext,
  runIds: readonly string[],
): Promise<string[]> {
  if (runIds.length === 0) return [];
  const { db, tables } = store;
  const rows = await db
    .selectFrom(tables.runs)
    .select("run_id")
    .where("run_id", "in", [...runIds])
    .where("cancel_requested_at", "is not", null)
    .execute();
  return rows.map((r) => r.run_id);
}

/**
 * Deletes the logs of top-level runs that ended (or were last written) before `cutoff` (epoch
 * ms).
 */
export async function pruneEvents(store: StoreContext, cutoff: number): Promise<void> {
  const { db, tables } = store;
  await db
    .deleteFrom(tables.events)
    .where("root_run_id", "in", (eb) =>
      eb
        .selectFrom(tables.runs)
        .select("run_id")
        .where("parent_run_id", "is", null)
        .where("status", "in", ["completed", "error", "cancelled"])
        .where("updated_at", "<", cutoff),
    )
    .execute();
}
