import type { WorkflowResult } from "../workflow/workflow.js";
import { pause } from "./pause.js";

/**
 * A workflow's return value seen as a pull source: the four return styles (a value, a promise,
 * a sync iterable, an async iterable) behind one shape.
 */
export type WorkflowSource =
  | { readonly kind: "value"; readonly value: unknown }
  | { readonly kind: "promise"; readonly promise: PromiseLike<unknown> }
  | { readonly kind: "sync"; readonly iterator: Iterator<unknown> }
  | { readonly kind: "async"; readonly iterator: AsyncIterator<unknown> };

/** Classifies a workflow's return value. Strings are content, not iterables of characters. */
export function toWorkflowSource(result: WorkflowResult | unknown): WorkflowSource {
  if (typeof result === "object" && result !== null) {
    if (Symbol.asyncIterator in result) {
      return {
        kind: "async",
        iterator: (result as AsyncIterable<unknown>)[Symbol.asyncIterator](),
      };
    }
    if (Symbol.iterator in result) {
      return { kind: "sync", iterator: (result as Iterable<unknown>)[Symbol.iterator]() };
    }
    if (typeof (result as PromiseLike<unknown>).then === "function") {
      return { kind: "promise", promise: result as PromiseLike<unknown> };
    }
  }
  return { kind: "value", value: result };
}

/** Closes an iterator source so the workflow's `finally` blocks run; waits for them. */
export async function closeWorkflowSource(source: WorkflowSource | undefined): Promise<void> {
  if (source === undefined) return;
  if (source.kind === "sync" || source.kind === "async") {
    try {
      await source.iterator.return?.();
    } catch {
      // The workflow threw while closing; the run already ends with its own outcome.
    }
  }
}

/**
 * {@link closeWorkflowSource}, waiting at most `ms`: a cancelled run's generator may be inside an
 * await that ignores the run's signal, and its closing then waits for that await to settle.
 */
export async function closeWorkflowSourceWithin(
  source: WorkflowSource | undefined,
  ms: number,
): Promise<void> {
  const closed = new AbortController();
  const closing = closeWorkflowSource(source).finally(() => closed.abort());
  await Promise.race([closing, pause(ms, closed.signal)]);
}
