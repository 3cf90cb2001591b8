import { concatenate } from "../run/concatenate.js";
import { takePieces } from "../run/content-pieces.js";
import { toJson } from "../run/event-json.js";
import type { WorkflowEvent } from "../run/run-event.js";
import { DeltaRun } from "./delta-run.js";

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
  /**
   * The packed events: a JSON array, then (when the batch holds text deltas) a newline and the
   * deltas' text as it is, unescaped.
   */
  readonly data: string;
  /** When the batch was made (epoch ms). */
  readonly createdAt: number;
}

/**
 * An event packed without copies of its content (see `EventPacker`): `r`, an event whose
 * `response.content` (null) is its `content`; `w`, one whose `content` and `response.content`
 * (both null) are the text of every delta the run logged before it. `m`: the index of the
 * response's message whose `content` (null) is that content too (the model's last answer).
 */
export type LeanEvent =
  | { readonly r: WorkflowEvent; readonly m?: number }
  | { readonly w: WorkflowEvent; readonly m?: number };

/**
 * Whether `text` and `content` are the same string. `content` is flattened first (a string
 * grown one `+` at a time is a tree of pieces to V8): compared as it is, V8 walks its pieces one
 * by one, and encoding it for the store walks them again.
 */
function sameText(text: string | undefined, content: string): boolean {
  if (text === undefined || text.length !== content.length) return false;
  content.charCodeAt(0); // flattens it, in place
  return text === content;
}

/**
 * Packs events as they come (each stamped with `seq`, in order). A text delta (the run's own, a
 * child run's, an agent's) adds only its content and its time to the run of deltas it
 * continues, so a run's log holds no delta objects between batches (other events are kept as
 * they are until the batch is made), and a batch's text is written as it is, never escaped. A
 * terminal event whose content is every delta the log holds (a run logged from its first
 * event, whose content is its text deltas) keeps no copy of it.
 */
export class EventPacker {
  /** Events are kept as they are until the batch is made: the runtime may still stamp them. */
  #packed: (WorkflowEvent | DeltaRun)[] = [];
  #deltas: DeltaRun | undefined;
  #lastSeq = 0;
  #count = 0;
  /**
   * The text of every delta packed so far, as the runs of deltas' pieces, while the log covers
   * the run from its first event; and their text, concatenated when an event is compared with it.
   */
  #logged: DeltaRun[] | undefined;
  #text = "";
  #textRuns = 0;
  /** The pieces of the run's text content, which deltas may share (see `readTextFrom`). */
  #source: readonly string[] | undefined;

  /** How many events wait in the batch. */
  get size(): number {
    return this.#count;
  }

  /**
   * `pieces`: the run's text content as it grows, one piece per text delta, each added just
   * before the delta is logged. Runs of deltas that are those very strings read their text
   * from it instead of keeping a copy.
   */
  readTextFrom(pieces: readonly string[]): void {
    this.#source = pieces;
  }

  /** Adds `e`, numbered `seq` (its `seq`, given: reading it back costs more, as events vary). */
  add(e: WorkflowEvent, seq = e.seq ?? 0): void {
    this.#count++;
    // The hot path: one more delta of the run of deltas being packed.
    if (this.#deltas?.takes(e, seq) !== true) this.#start(e, seq);
    this.#lastSeq = seq;
  }

  /** `e` (numbered `seq`) starts a run of deltas, or is kept whole. */
  #start(e: WorkflowEvent, seq: number): void {
    if (this.#lastSeq === 0) this.#logged = seq === 1 ? [] : undefined;
    if (e.event === "RunResponseContent" && typeof e.content === "string") {
      const deltas = new DeltaRun(e, seq, this.#source);
      this.#deltas = deltas;
      this.#packed.push(deltas);
      deltas.takes(e, seq);
      return;
    }
    this.#deltas = undefined;
    this.#packed.push(e);
  }

  /** The events added since the last `take`, as one batch; undefined when there are none. */
  take(): LazyBatch | undefined {
    if (this.#count === 0) return undefined;
    const packed = this.#packed;
    const last = packed.length - 1;
    // The columns of the runs of deltas (text part form), and every other event as JSON.
    let tail = false;
    const items = packed.map((item, i) => {
      if (item instanceof DeltaRun) {
        this.#logged?.push(item);
        return item.columns();
      }
      const lean = this.#lean(item);
      // Only a run's end is saved with its content (a child's is not `w`: see `#isLoggedText`).
      if (i === last) tail = "w" in lean && item.event === "WorkflowCompleted";
      return toJson(lean);
    });
    const batch = new LazyBatch(this.#lastSeq, items, packed);
    // The run ended with content that is every delta's text: this batch's text is its end.
    if (tail) tails.set(batch, `[${items.join(",")}]`);
    this.#packed = [];
    this.#deltas = undefined;
    this.#count = 0;
    return batch;
  }

  /**
   * `e` as packed, when the batch is made: an event whose `response.content` is its `content`
   * keeps it once (`r`, `response.content` null), and not at all when that content is the text of
   * every delta before it (`w`, `content` null too). The pieces that content was made of, when
   * noted (see `notePieces`), prove that without reading the text.
   */
  #lean(e: WorkflowEvent): WorkflowEvent | LeanEvent {
    if (!("response" in e) || !("content" in e)) return e;
    const { response, content } = e;
    if (typeof content !== "string" || response.content !== content) return e;
    const { messages } = response;
    const m = messages.length - 1;
    const last = messages[m];
    // The model's last answer, as the agent's (and the workflow's) response keeps it.
    const answered = last !== undefined && last.role === "assistant" && last.content === content;
    const leanResponse = answered
      ? { ...response, content: null, messages: messages.with(m, { ...last, content: null }) }
      : { ...response, content: null };
    const lean = { ...e, response: leanResponse } as WorkflowEvent;
    const packed = this.#isLoggedText(e, content)
      ? { w: { ...lean, content: null } as WorkflowEvent }
      : { r: lean };
    return answered ? { ...packed, m } : packed;
  }

  /** Whether `content` (`e`'s) is the text of every delta logged before `e`. */
  #isLoggedText(e: WorkflowEvent & { response: object }, content: string): boolean {
    const logged = this.#logged;
    if (e.parentRunId !== undefined || logged === undefined) return false;
    const pieces = takePieces(e.response, content);
    if (pieces !== undefined && samePieces(logged, pieces)) return true;
    return sameText(this.#loggedText(), content);
  }

  /** The text of every delta logged so far (see `#logged`). */
  #loggedText(): string {
    const logged = this.#logged ?? [];
    if (this.#textRuns !== logged.length) {
      this.#text += concatenate(logged.slice(this.#textRuns).flatMap((run) => run.pieces));
      this.#textRuns = logged.length;
    }
    return this.#text;
  }
}

/**
 * Whether the runs of deltas `logged` hold `pieces`, the very same strings in the same order:
 * then their text is the same, and nothing needs reading.
 */
function samePieces(logged: readonly DeltaRun[], pieces: readonly string[]): boolean {
  let at = 0;
  for (const run of logged) {
    at = run.matches(pieces, at);
    if (at < 0) return false;
  }
  return at === pieces.length;
}

/**
 * A batch whose `data` is made when it is first read: `items`, the packed items as JSON (a run
 * of deltas as its columns), and `packed`, the items (a run of deltas' text is concatenated and
 * checked then). A store that keeps the batch's JSON alone (see `contentTailJson`) never reads it.
 *
 * `data` is an own property, as on a plain object (a spread, `JSON.stringify` and
 * `structuredClone` copy it), read through one getter shared by every batch. A getter made per
 * batch (an object literal's) kept the last batch of a run, with the run's text pieces, through
 * the minor collections after the run: about 80 KB more promoted per 10,000-delta run.
 */
export class LazyBatch implements EventBatch {
  static readonly #data: PropertyDescriptor = {
    get(this: LazyBatch): string {
      return this.#read();
    },
    enumerable: true,
  };

  declare readonly data: string;
  readonly createdAt = Date.now();
  #made: string | undefined;
  #items: readonly string[] | undefined;
  #packed: readonly (WorkflowEvent | DeltaRun)[] | undefined;

  constructor(
    readonly lastSeq: number,
    items: readonly string[],
    packed: readonly (WorkflowEvent | DeltaRun)[],
  ) {
    this.#items = items;
    this.#packed = packed;
    Object.defineProperty(this, "data", LazyBatch.#data);
  }

  /**
   * This batch but its last event (a run's terminal event, whose save failed), made now, from
   * what it is made of; undefined when it holds no other event.
   */
  withoutLast(): EventBatch | undefined {
    const items = this.#items;
    const packed = this.#packed;
    if (items === undefined || packed === undefined || packed.length < 2) return undefined;
    return new LazyBatch(this.lastSeq - 1, items.slice(0, -1), packed.slice(0, -1));
  }

  #read(): string {
    if (this.#made !== undefined) return this.#made;
    const items = this.#items ?? [];
    const text: string[] = [];
    const json = (this.#packed ?? []).map((item, i) =>
      item instanceof DeltaRun ? item.json(items[i] as string, text) : (items[i] as string),
    );
    const textPart = text.join("");
    this.#made = textPart === "" ? `[${json.join(",")}]` : `[${json.join(",")}]\n${textPart}`;
    // Made once: what it was made from (the run's text pieces among it) can go.
    this.#items = undefined;
    this.#packed = undefined;
    return this.#made;
  }
}

/** The JSON of the batches a packer made whose text is the end of their run's content. */
const tails = new WeakMap<EventBatch, string>();

/**
 * The JSON part of `batch.data` when its text part is the end of the run's final content, which
 * the runtime proved when it made the batch (the last of a run whose content is the text of
 * every delta it logged); undefined otherwise. A store that saves that content with the batch
 * keeps this JSON alone (see `contentTail`).
 */
export function contentTailJson(batch: EventBatch): string | undefined {
  return tails.get(batch);
}

/** Packs `events` (each stamped with `seq`, in order) into one batch. */
export function packEvents(events: readonly WorkflowEvent[]): EventBatch {
  const packer = new EventPacker();
  for (const e of events) packer.add(e);
  return packer.take() ?? { lastSeq: 0, data: "[]", createdAt: Date.now() };
}
