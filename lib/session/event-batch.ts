import { toJson } from "../run/event-json.js";
import type { WorkflowEvent } from "../run/run-event.js";
import type { StoredEvent } from "./stored-event.js";

/**
 * A batch of a run's events as its log keeps them: one row per batch, packed so that logging a
 * token costs no JSON encoding of its own. Runs of plain text deltas become columns (their
 * `seq`s are consecutive); every other event is kept whole. A custom store keeps each batch as
 * it comes and hands its events back one by one.
 *
 * @example
 * ```ts
 * import type { EventBatch, SessionRun } from "buddy-ai";
 * // What a custom store's SessionRun receives while a logged run streams:
 * const batches: EventBatch[] = [];
 * const appendEvents: SessionRun["appendEvents"] = async (batch) => {
 *   batches.push(batch); // keyed by the run and batch.lastSeq
 * };
 * ```
 */
export interface EventBatch {
  /** The `seq` of the batch's last event. */
  readonly lastSeq: number;
  /** The packed events, as JSON text. */
  readonly data: string;
  /** When the batch was made (epoch ms). */
  readonly createdAt: number;
}

/**
 * A run of text deltas: `[first seq, runId, sessionId, workflowId]`, their `createdAt` as
 * `[time, how many deltas, time, how many…]` (tokens come many per millisecond), and content.
 */
interface Deltas {
  readonly d: [number, string, string, string];
  readonly t: number[];
  readonly c: string[];
}

type Packed = WorkflowEvent | Deltas;

/**
 * Packs events as they come (each stamped with `seq`, in order): a text delta keeps only its
 * content and time, so a run's log holds no event objects between batches.
 */
export class EventPacker {
  #packed: Packed[] = [];
  #deltas: Deltas | undefined;
  #lastSeq = 0;
  #count = 0;

  /** How many events wait in the batch. */
  get size(): number {
    return this.#count;
  }

  add(e: WorkflowEvent): void {
    const seq = e.seq ?? 0;
    this.#lastSeq = seq;
    this.#count++;
    if (
      e.event === "RunResponseContent" &&
      typeof e.content === "string" &&
      e.parentRunId === undefined &&
      e.agentRunId === undefined &&
      e.agentName === undefined
    ) {
      let deltas = this.#deltas;
      if (deltas === undefined || deltas.d[0] + deltas.c.length !== seq) {
        deltas = { d: [seq, e.runId, e.sessionId, e.workflowId], t: [], c: [] };
        this.#deltas = deltas;
        this.#packed.push(deltas);
      }
      const { t } = deltas;
      if (t[t.length - 2] === e.createdAt) t[t.length - 1] = (t[t.length - 1] as number) + 1;
      else t.push(e.createdAt, 1);
      deltas.c.push(e.content);
      return;
    }
    this.#deltas = undefined;
    this.#packed.push(e);
  }

  /** The events added since the last `take`, as one batch; undefined when there are none. */
  take(): EventBatch | undefined {
    if (this.#count === 0) return undefined;
    const batch = { lastSeq: this.#lastSeq, data: toJson(this.#packed), createdAt: Date.now() };
    this.#packed = [];
    this.#deltas = undefined;
    this.#count = 0;
    return batch;
  }
}

/** Packs `events` (each stamped with `seq`, in order) into one batch. */
export function packEvents(events: readonly WorkflowEvent[]): EventBatch {
  const packer = new EventPacker();
  for (const e of events) packer.add(e);
  return packer.take() ?? { lastSeq: 0, data: "[]", createdAt: Date.now() };
}

/** The events of a packed batch with `seq` above `after`, each as its own JSON text. */
export function unpackEvents(data: string, after: number): StoredEvent[] {
  const out: StoredEvent[] = [];
  for (const item of JSON.parse(data) as Packed[]) {
    if ("d" in item) {
      const [first, runId, sessionId, workflowId] = item.d;
      const times: number[] = [];
      for (let k = 0; k < item.t.length; k += 2) {
        for (let n = item.t[k + 1] ?? 0; n > 0; n--) times.push(item.t[k] ?? 0);
      }
      for (let i = 0; i < item.c.length; i++) {
        const seq = first + i;
        if (seq <= after) continue;
        const createdAt = times[i] ?? 0;
        const event = {
          event: "RunResponseContent",
          runId,
          sessionId,
          workflowId,
          createdAt,
          content: item.c[i],
          seq,
        };
        out.push({ seq, event: event.event, data: JSON.stringify(event), createdAt });
      }
    } else if ((item.seq ?? 0) > after) {
      out.push({
        seq: item.seq ?? 0,
        event: item.event,
        data: JSON.stringify(item),
        createdAt: item.createdAt,
      });
    }
  }
  return out;
}
