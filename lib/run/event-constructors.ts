import type { RunResponseContentEvent, WorkflowCompletedEvent } from "./run-event.js";
import { RunResponse } from "./run-response.js";

const unstamped = { runId: "", sessionId: "", workflowId: "" } as const;

/**
 * Builds a `WorkflowCompleted` event for a workflow to yield itself. It becomes the run's
 * terminal event; its `content`, when set, is the run's final content (never appended twice).
 * The runtime stamps the ids and the final `response`.
 *
 * @example
 * ```ts
 * import { defineWorkflow, workflowCompleted } from "buddy-ai";
 * const wf = defineWorkflow(async function* draft(_ctx, topic: string) {
 *   yield `Drafting ${topic}…`;
 *   yield workflowCompleted({ content: `An article on ${topic}` });
 * });
 * ```
 */
export function workflowCompleted<C>(init: { content?: C } = {}): WorkflowCompletedEvent<C> {
  return {
    event: "WorkflowCompleted",
    ...unstamped,
    createdAt: Date.now(),
    content: init.content,
    response: new RunResponse<C>(init.content === undefined ? {} : { content: init.content }),
  };
}

/**
 * Builds a `RunResponseContent` event (a content delta) for a workflow to yield. Yielding a plain
 * string does the same.
 *
 * @example
 * ```ts
 * import { defineWorkflow, runResponseContent } from "buddy-ai";
 * const wf = defineWorkflow(async function* count() {
 *   for (const n of [1, 2, 3]) yield runResponseContent(`${n} `);
 * });
 * ```
 */
export function runResponseContent<C>(content: C): RunResponseContentEvent<C> {
  return { event: "RunResponseContent", ...unstamped, createdAt: Date.now(), content };
}
