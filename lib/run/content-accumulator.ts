import type { WorkflowContext } from "../workflow/workflow-context.js";
import { concatenate } from "./concatenate.js";
import { notePieces } from "./content-pieces.js";
import type { Logger } from "./logger.js";
import { isRunEvent, type WorkflowEvent } from "./run-event.js";
import { RunResponse } from "./run-response.js";

/** The ids the runtime stamps on every event of a run. */
export interface RunIds {
  readonly runId: string;
  readonly sessionId: string;
  readonly workflowId: string;
  readonly parentRunId?: string;
}

/** What one yielded or returned item turned into. */
export type ContentStep =
  | { readonly terminal: false; readonly event: WorkflowEvent }
  | { readonly terminal: true; readonly content: unknown };

/**
 * Turns what a workflow yields or returns into stamped events and accumulates the run's content:
 * strings concatenate; any other content value replaces what came before.
 */
export class ContentAccumulator {
  /** The content, when it is not text. */
  #content: unknown;
  /**
   * While the content is text: its pieces, in order, concatenated when it is read (cheaper
   * than growing a string one delta at a time).
   */
  #pieces: string[] | undefined;
  /** The pieces concatenated, and how many of them, when the content was last read. */
  #text = "";
  #textPieces = 0;
  readonly #ids: RunIds;

  constructor(
    private readonly workflowName: string,
    ids: RunIds,
    private readonly logger: Logger,
    private readonly usage: Pick<WorkflowContext, "recordUsage" | "recordMessages">,
    private readonly response: RunResponse,
    /**
     * Given when the run keeps an event log: told of each new array of text pieces (the log reads
     * its deltas' text there), and the final text is noted as made of them (see `notePieces`).
     */
    private readonly onPieces?: (pieces: readonly string[]) => void,
  ) {
    this.#ids = ids;
  }

  /** The run's final content: the terminal event's own content when it set one. */
  final(step: ContentStep | undefined): unknown {
    if (step?.terminal === true && step.content !== undefined) return step.content;
    const pieces = this.#pieces;
    if (pieces === undefined) return this.#content;
    if (this.#textPieces !== pieces.length) {
      this.#text = concatenate(pieces);
      // Noted as made of its pieces: the run's event log compares them, not the text.
      if (this.onPieces !== undefined) notePieces(this.response, this.#text, pieces);
      this.#textPieces = pieces.length;
    }
    return this.#text;
  }

  /** One item; `undefined` when it produces no event (ignored, or an empty return). */
  push(item: unknown, returned: boolean): ContentStep | undefined {
    if (typeof item === "string") return this.#delta(item);
    if (item instanceof RunResponse) {
      if (returned) this.#adopt(item);
      return item.content === undefined ? undefined : this.#delta(item.content);
    }
    if (returned && item === undefined) return undefined;
    if (!returned && isRunEvent(item)) return this.#event(item);
    this.logger.warn(
      `Workflow "${this.workflowName}" ${returned ? "returned" : "yielded"} ${describe(item)}, which is ` +
        `neither content nor an event; it was ignored. ${returned ? "Return" : "Yield"} strings, ` +
        `RunResponse objects or events.`,
    );
    return undefined;
  }

  #delta(content: unknown): ContentStep {
    this.#add(content);
    const ids = this.#ids;
    const event: WorkflowEvent =
      ids.parentRunId === undefined
        ? {
            event: "RunResponseContent",
            runId: ids.runId,
            sessionId: ids.sessionId,
            workflowId: ids.workflowId,
            createdAt: Date.now(),
            content,
          }
        : { event: "RunResponseContent", ...ids, createdAt: Date.now(), content };
    return { terminal: false, event };
  }

  #add(content: unknown): void {
    if (typeof content !== "string") {
      this.#pieces = undefined;
      this.#content = content;
    } else if (this.#pieces !== undefined) this.#pieces.push(content);
    else {
      // Text after a value that is not text replaces it.
      this.#pieces = [content];
      this.#content = undefined;
      this.onPieces?.(this.#pieces);
    }
  }

  #event(event: WorkflowEvent): ContentStep | undefined {
    if (event.parentRunId !== undefined) {
      // A child run's event, already stamped by the child: forward it as it is.
      if (event.event === "RunResponseContent") this.#add(event.content);
      return { terminal: false, event };
    }
    switch (event.event) {
      case "WorkflowCompleted":
        return { terminal: true, content: event.content };
      case "WorkflowStarted":
      case "WorkflowError":
      case "WorkflowCancelled":
      case "WorkflowSuspended":
        this.logger.warn(
          `Workflow "${this.workflowName}" yielded a ${event.event} event; the runtime emits it ` +
            `itself, so it was ignored. Throw an error to fail a run; use the signal to cancel it.`,
        );
        return undefined;
      case "RunResponseContent":
        this.#add(event.content);
        return { terminal: false, event: this.#restamp(event) };
      case "RunCompleted":
        this.usage.recordUsage(event.response.runId, event.response.metrics);
        this.usage.recordMessages(event.response.runId, event.response.messages);
        return { terminal: false, event: this.#restamp(event) };
      case "RunStarted":
      case "RunError":
      case "ToolCallStarted":
      case "ToolCallCompleted":
      case "StepStarted":
      case "StepCompleted":
        return { terminal: false, event: this.#restamp(event) };
      default: {
        const never: never = event;
        return never;
      }
    }
  }

  /** This run's ids over a forwarded event's; an agent's own run id moves to `agentRunId`. */
  #restamp(event: WorkflowEvent): WorkflowEvent {
    const agentRunId = event.agentRunId ?? (event.runId === "" ? undefined : event.runId);
    const ids = this.#ids;
    if (event.event === "RunResponseContent") {
      // The hot path (one per token): a literal, not a spread, is several times cheaper.
      return {
        event: "RunResponseContent",
        runId: ids.runId,
        sessionId: ids.sessionId,
        workflowId: ids.workflowId,
        parentRunId: ids.parentRunId,
        createdAt: event.createdAt,
        content: event.content,
        agentName: event.agentName,
        agentRunId,
      };
    }
    return agentRunId === undefined
      ? { ...event, ...this.#ids }
      : { ...event, ...this.#ids, agentRunId };
  }

  /** A returned `RunResponse` lends the run its content type, messages, extra data and usage. */
  #adopt(item: RunResponse): void {
    this.response.contentType = item.contentType;
    this.response.messages.push(...item.messages);
    Object.assign(this.response.extraData, item.extraData);
    this.usage.recordUsage(`returned:${this.#ids.runId}`, item.metrics);
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return `a ${typeof value}`;
  const name = (value as object).constructor?.name;
  return name && name !== "Object" ? `a ${name}` : "an object";
}
