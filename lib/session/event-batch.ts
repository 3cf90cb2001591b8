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
 * `[time, how many deltas, time, how many…]` (tokens come many per millisecond), their lengths
 * the same way (`[length, how many…]`, UTF-16 units), and their contents as one string.
 */
interface Deltas {
  readonly d: [number, string, string, string];
  readonly t: number[];
  readonly n: number[];
  c: string;
}

/** The same, as logs written before lengths were kept: each content its own string. */
interface DeltaList {
  readonly d: [number, string, string, string];
  readonly t: number[];
  readonly c: string[];
}

/**
 * An event whose `response.content` is its `content` (a terminal event, an agent's
 * `RunCompleted`): kept once, `response.content` written as null.
 */
interface SameContent {
  readonly r: WorkflowEvent;
}

type Packed = WorkflowEvent | Deltas | DeltaList | SameContent;

/** Adds one to the run-length encoded `runs` (`[value, how many…]`) for `value`. */
function count(runs: number[], value: number): void {
  const last = runs.length - 1;
  if (runs[last - 1] === value) runs[last] = (runs[last] as number) + 1;
  else runs.push(value, 1);
}

/** Expands run-length encoded `runs` (`[value, how many…]`). */
function expand(runs: readonly number[]): number[] {
  const values: number[] = [];
  for (let k = 0; k < runs.length; k += 2) {
    for (let n = runs[k + 1] ?? 0; n > 0; n--) values.push(runs[k] ?? 0);
  }
  return values;
}

/**
 * Packs events as they come (each stamped with `seq`, in order): a text delta adds only its
 * content to a string and its time and length to two run-length counts, so a run's log holds no
 * event objects between batches and encoding a batch is one string, not one per token.
 */
export class EventPacker {
  #packed: Packed[] = [];
  #deltas: Deltas | undefined;
  /** How many deltas `#deltas` holds. */
  #run = 0;
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
      if (deltas === undefined || deltas.d[0] + this.#run !== seq) {
        deltas = { d: [seq, e.runId, e.sessionId, e.workflowId], t: [], n: [], c: "" };
        this.#deltas = deltas;
        this.#run = 0;
        this.#packed.push(deltas);
      }
      this.#run++;
      count(deltas.t, e.createdAt);
      count(deltas.n, e.content.length);
      deltas.c += e.content;
      return;
    }
    this.#deltas = undefined;
    this.#packed.push(sameContent(e) ?? e);
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

/** `e` packed without its response's copy of its content; undefined when it has none. */
function sameContent(e: WorkflowEvent): SameContent | undefined {
  if (!("response" in e) || !("content" in e)) return undefined;
  const { response, content } = e;
  if (typeof content !== "string" || response.content !== content) return undefined;
  return { r: { ...e, response: { ...response, content: null } } as WorkflowEvent };
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
    if ("r" in item) {
      const r = item.r as WorkflowEvent & { content: string; response: object };
      if ((r.seq ?? 0) <= after) continue;
      const whole = { ...r, response: { ...r.response, content: r.content } };
      out.push({
        seq: r.seq ?? 0,
        event: r.event,
        data: JSON.stringify(whole),
        createdAt: r.createdAt,
      });
      continue;
    }
    if (!("d" in item)) {
      if ((item.seq ?? 0) > after) {
        const { seq = 0, event, createdAt } = item;
        out.push({ seq, event, data: JSON.stringify(item), createdAt });
      }
      continue;
    }
    const [first, runId, sessionId, workflowId] = item.d;
    const times = expand(item.t);
    const contents = deltaContents(item);
    for (let i = Math.max(0, after + 1 - first); i < contents.length; i++) {
      const seq = first + i;
      const createdAt = times[i] ?? 0;
      const content = contents[i];
      const event = {
        event: "RunResponseContent",
        runId,
        sessionId,
        workflowId,
        createdAt,
        content,
        seq,
      };
      out.push({ seq, event: event.event, data: JSON.stringify(event), createdAt });
    }
  }
  return out;
}

/** The contents of a run of deltas, one string each. */
function deltaContents(item: Deltas | DeltaList): readonly string[] {
  if (typeof item.c !== "string") return item.c;
  const { c } = item as Deltas;
  const contents: string[] = [];
  let at = 0;
  for (const length of expand((item as Deltas).n)) {
    contents.push(c.slice(at, at + length));
    at += length;
  }
  return contents;
}
