/**
 * One event of a run's log, as the store keeps it and the wire carries it: its `seq`, its name
 * and the event as JSON text.
 *
 * @example
 * ```ts
 * import type { StoredEvent, WorkflowStorage } from "buddy-ai";
 * async function replay(storage: WorkflowStorage, runId: string, after = 0) {
 *   const events: StoredEvent[] = (await storage.listEvents?.(runId, { after })) ?? [];
 *   for (const e of events) console.log(e.seq, e.event, JSON.parse(e.data));
 * }
 * ```
 */
export interface StoredEvent {
  /** The event's 1-based position in its top-level run's stream. */
  readonly seq: number;
  /** The event's name (its `event` field). */
  readonly event: string;
  /** The event as JSON text. */
  readonly data: string;
  /** When the event was made (epoch ms). */
  readonly createdAt: number;
}
