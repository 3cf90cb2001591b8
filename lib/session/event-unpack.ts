import type { WorkflowEvent } from "../run/run-event.js";
import { contentTailJson, type EventBatch, type LeanEvent } from "./event-batch.js";
import { expand } from "./run-lengths.js";
import type { StoredEvent } from "./stored-event.js";

/**
 * A run of text deltas as packed: `[first seq, runId, sessionId, workflowId]`, their other
 * ids, their `createdAt` and their lengths (UTF-16 units) as run-length counts (`[value, how
 * many…]`), and their text: in the batch's text part when `c` is absent, else inline (one
 * string, or one per delta as batches were first written, without `n`).
 */
interface Deltas {
  readonly d: readonly [number, string, string, string];
  /** The deltas' other ids, when they have any (a child run's, an agent's). */
  readonly x?: {
    readonly parentRunId?: string;
    readonly agentName?: string;
    readonly agentRunId?: string;
  };
  readonly t: readonly number[];
  readonly n?: readonly number[];
  readonly c?: string | readonly string[];
}

/** A packed item: an event kept whole, an event kept without copies of its content, deltas. */
type Packed = WorkflowEvent | LeanEvent | Deltas;

/**
 * `batch`'s data, stored without its text part when that text is the end of `content`, the
 * run's final content saved with it: the JSON part then ends with a carriage return, and a
 * reader takes the text from the content (see `PackedBatch`). Stores use it for a run's last
 * batch, which is saved in the same transaction as the run's content: a run that streamed its
 * content as text deltas keeps that text once, in its row.
 */
export function contentTail(batch: EventBatch, content: string): string {
  const proved = contentTailJson(batch);
  if (proved !== undefined) return `${proved}\r`;
  const { data } = batch;
  // The JSON part holds no raw newline: the first one starts the text part.
  const newline = data.indexOf("\n");
  if (newline < 0 || !content.endsWith(data.slice(newline + 1))) return data;
  return `${data.slice(0, newline)}\r`;
}

/** Whether `data` was stored by {@link contentTail} (its text is the end of the run's content). */
export function endsAtContent(data: string): boolean {
  return data.endsWith("\r");
}

/** A logged batch (`EventBatch.data`), read back. */
export class PackedBatch {
  readonly #items: readonly Packed[];
  /** The batch's text part: the deltas' text, unescaped. */
  readonly #text: string;

  /** `content`: the run's final content, for a batch stored by {@link contentTail}. */
  constructor(data: string, content?: string) {
    // The JSON part holds no raw newline: the first one starts the text part.
    const newline = data.indexOf("\n");
    if (newline >= 0) {
      this.#items = JSON.parse(data.slice(0, newline)) as Packed[];
      this.#text = data.slice(newline + 1);
    } else if (endsAtContent(data)) {
      if (content === undefined)
        throw new Error("This batch's text is its run's content: pass it.");
      this.#items = JSON.parse(data.slice(0, -1)) as Packed[];
      this.#text = content.slice(content.length - this.#textLength());
    } else {
      this.#items = JSON.parse(data) as Packed[];
      this.#text = "";
    }
  }

  /** The length of the batch's text part: the text of every run of deltas not kept inline. */
  #textLength(): number {
    let length = 0;
    for (const item of this.#items)
      if ("d" in item && item.c === undefined) length += textLength(item);
    return length;
  }

  /** Whether an event here needs the text of the run's earlier batches (see {@link events}). */
  get needsEarlierText(): boolean {
    return this.#items.some((item) => "w" in item);
  }

  /** The text of every delta in the batch, in order. */
  deltaText(): string {
    let text = "";
    this.#each((_, runText) => {
      text += runText;
    });
    return text;
  }

  /**
   * The events with `seq` above `after`, each as its own JSON text. `earlierText` is the
   * deltas' text of the run's batches before this one (see {@link needsEarlierText}).
   */
  events(after: number, earlierText = ""): StoredEvent[] {
    const out: StoredEvent[] = [];
    let text = earlierText;
    this.#each(
      (item, runText) => {
        text += runText;
        const contents = splitDeltas(item, runText);
        const [first, runId, sessionId, workflowId] = item.d;
        const { parentRunId, agentName, agentRunId } = item.x ?? {};
        const times = expand(item.t);
        for (let i = Math.max(0, after + 1 - first); i < contents.length; i++) {
          const seq = first + i;
          const createdAt = times[i] ?? 0;
          const content = contents[i];
          // The fields in the order the runtime makes them: the same JSON text as streamed.
          const event = {
            event: "RunResponseContent",
            runId,
            sessionId,
            workflowId,
            parentRunId,
            createdAt,
            content,
            agentName,
            agentRunId,
            seq,
          };
          out.push({ seq, event: event.event, data: JSON.stringify(event), createdAt });
        }
      },
      (event) => {
        const whole = withContent(event, text);
        const { seq = 0, createdAt } = whole;
        if (seq <= after) return;
        out.push({ seq, event: whole.event, data: JSON.stringify(whole), createdAt });
      },
    );
    return out;
  }

  /** Calls `deltas` for each run of deltas (with its text), `event` for every other event. */
  #each(
    deltas: (item: Deltas, runText: string) => void,
    event?: (e: WorkflowEvent | LeanEvent) => void,
  ): void {
    let at = 0;
    for (const item of this.#items) {
      if (!("d" in item)) event?.(item);
      else if (typeof item.c === "string") deltas(item, item.c);
      else if (item.c !== undefined) deltas(item, item.c.join(""));
      else {
        // The text part holds the runs' texts one after the other.
        const length = textLength(item);
        deltas(item, this.#text.slice(at, at + length));
        at += length;
      }
    }
  }
}

/** The length of a run of deltas' text (UTF-16 units), from its run-length counted lengths. */
function textLength(item: Deltas): number {
  const n = item.n ?? [];
  let length = 0;
  for (let k = 0; k < n.length; k += 2) length += (n[k] ?? 0) * (n[k + 1] ?? 0);
  return length;
}

/** The contents of a run of deltas, one per delta, from the run's text. */
function splitDeltas(item: Deltas, runText: string): readonly string[] {
  if (Array.isArray(item.c)) return item.c;
  const contents: string[] = [];
  let at = 0;
  for (const length of expand(item.n ?? [])) {
    contents.push(runText.slice(at, at + length));
    at += length;
  }
  return contents;
}

/** The event `item` stands for, its content restored (`text`: the run's delta text so far). */
function withContent(item: WorkflowEvent | LeanEvent, text: string): WorkflowEvent {
  if (!("r" in item) && !("w" in item)) return item;
  const e = ("r" in item ? item.r : item.w) as WorkflowEvent & {
    content: unknown;
    response: object;
  };
  const content = "r" in item ? e.content : text;
  const response: { content: unknown; messages?: readonly object[] } = { ...e.response, content };
  const { m } = item;
  if (m !== undefined) {
    // The message whose content was left out: the model's last answer (see `LeanEvent`).
    const messages = response.messages ?? [];
    const message = messages[m];
    if (message !== undefined) response.messages = messages.with(m, { ...message, content });
  }
  return { ...e, content, response } as WorkflowEvent;
}

/**
 * The events of a run's log with `seq` above `after`, each as its own JSON text: what
 * `WorkflowStorage.listEvents` answers, for a store of your own. `batches` are every batch the
 * run logged (`SessionRun.appendEvents`, then `RunOutcome.events`), in order of `lastSeq`; a
 * batch may need the text of the ones before it, so pass them all.
 *
 * @example
 * ```ts
 * import { type EventBatch, readEventBatches, type StoredEvent } from "buddy-ai";
 * // A store that keeps each run's batches in memory answers listEvents like this:
 * const logs = new Map<string, EventBatch[]>();
 * async function listEvents(runId: string, options?: { after?: number }): Promise<StoredEvent[]> {
 *   return readEventBatches(logs.get(runId) ?? [], options?.after ?? 0);
 * }
 * ```
 */
export function readEventBatches(
  batches: readonly Pick<EventBatch, "lastSeq" | "data">[],
  after = 0,
): StoredEvent[] {
  const events: StoredEvent[] = [];
  let earlier = "";
  for (const { lastSeq, data } of batches) {
    const batch = new PackedBatch(data);
    if (lastSeq > after) events.push(...batch.events(after, earlier));
    earlier += batch.deltaText();
  }
  return events;
}
