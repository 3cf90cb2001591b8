import { concatenate } from "../run/concatenate.js";
import { toJson } from "../run/event-json.js";
import type { RunResponseContentEvent, WorkflowEvent } from "../run/run-event.js";
import { countRun } from "./run-lengths.js";

/** Whether `text` has no lone surrogate (`String.prototype.isWellFormed`, Node 20 and later). */
function isWellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

const none: readonly string[] = [];

/**
 * A run of text deltas being packed (written as `Deltas`, see event-unpack.ts): consecutive
 * deltas of one run, and of one agent's run within it. A delta's fields are the runtime's (it
 * makes or restamps every `RunResponseContent`): the run's ids, `parentRunId`, `createdAt`,
 * `content`, `agentName`, `agentRunId`, `seq`.
 *
 * Its text is kept as pieces, one per delta. They are read from `source`, the pieces of the
 * run's content (the runtime adds a delta's text to it just before it logs the delta), while the
 * deltas are those very strings, in order: the log then holds no copy of them. From the first
 * delta that is not, it keeps its own.
 */
export class DeltaRun {
  readonly first: number;
  readonly runId: string;
  readonly agentName: string | undefined;
  readonly agentRunId: string | undefined;
  readonly #head: string;
  /** The `seq` the next delta must have. */
  #next: number;
  /** Its pieces while they are `source[from…end)`. */
  readonly #source: readonly string[];
  readonly #from: number;
  #end: number;
  /** Its own pieces, once one was not the source's next. */
  #own: string[] | undefined;
  /** The deltas' `createdAt` and their text's lengths, run-length counted as they come. */
  readonly #times: number[] = [];
  readonly #lengths: number[] = [];

  constructor(e: RunResponseContentEvent, first: number, source: readonly string[] = none) {
    this.first = first;
    this.#next = first;
    this.runId = e.runId;
    this.agentName = e.agentName;
    this.agentRunId = e.agentRunId;
    const { parentRunId, agentName, agentRunId } = e;
    const more = parentRunId ?? agentName ?? agentRunId;
    this.#head =
      `"d":${toJson([first, e.runId, e.sessionId, e.workflowId])}` +
      (more === undefined ? "" : `,"x":${toJson({ parentRunId, agentName, agentRunId })}`);
    // The runtime added its text to the content's pieces last.
    const at = source.length - 1;
    this.#source = source;
    this.#from = at >= 0 && source[at] === e.content ? at : source.length;
    this.#end = this.#from;
  }

  /** Adds `e` (numbered `seq`) when it is a text delta that continues this run; says whether. */
  takes(e: WorkflowEvent, seq: number): boolean {
    if (
      seq !== this.#next ||
      e.event !== "RunResponseContent" ||
      typeof e.content !== "string" ||
      e.runId !== this.runId ||
      e.agentName !== this.agentName ||
      e.agentRunId !== this.agentRunId
    ) {
      return false;
    }
    const content = e.content;
    this.#next = seq + 1;
    const own = this.#own;
    if (own !== undefined) own.push(content);
    else if (this.#source[this.#end] === content) this.#end++;
    else this.#own = [...this.#source.slice(this.#from, this.#end), content];
    countRun(this.#times, e.createdAt);
    countRun(this.#lengths, content.length);
    return true;
  }

  /** The deltas' text, one string per delta. */
  get pieces(): readonly string[] {
    return this.#own ?? this.#source.slice(this.#from, this.#end);
  }

  /**
   * Whether its pieces are `pieces[at…]`, the very same strings: the index after them when they
   * are, else -1. Read from `pieces` itself, that takes no reading at all.
   */
  matches(pieces: readonly string[], at: number): number {
    const own = this.#own;
    if (own === undefined && this.#source === pieces) return this.#from === at ? this.#end : -1;
    const [mine, from, end] =
      own === undefined ? [this.#source, this.#from, this.#end] : [own, 0, own.length];
    if (at + end - from > pieces.length) return -1;
    for (let i = from, j = at; i < end; i++, j++) if (mine[i] !== pieces[j]) return -1;
    return at + end - from;
  }

  /** The run as JSON text, its text in the batch's text part (see `json`). */
  columns(): string {
    return `{${this.#head},"t":[${this.#times}],"n":[${this.#lengths}]}`;
  }

  /**
   * The run as JSON text (`columns`, its JSON): its text goes to the batch's text part, as it
   * is, when it is well-formed UTF-16 (nothing to escape, nothing to scan); otherwise inline,
   * escaped by JSON.
   */
  json(columns: string, text: string[]): string {
    const contents = concatenate(this.pieces);
    if (isWellFormed(contents)) {
      text.push(contents);
      return columns;
    }
    return `${columns.slice(0, -1)},"c":${JSON.stringify(contents)}}`;
  }
}
