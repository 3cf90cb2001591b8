import { addUsage, type RunMetrics } from "../run/run-metrics.js";
import type { SessionState } from "./workflow.js";
import type { WorkflowContext } from "./workflow-context.js";

/** How `ctx.sessionState` reads the run's state and replaces it (on assignment). */
export interface StateAccess {
  get(): SessionState;
  set(next: unknown): void;
}

/** The fields of a context that vary per run; `signal` is made on first read of `ctx.signal`. */
export type ContextFields = Omit<
  WorkflowContext,
  "signal" | "recordUsage" | "run" | "stream" | "sessionState"
> & {
  readonly sessionState: StateAccess;
  readonly signal: () => AbortSignal;
};

/** Builds `ctx`; `run` and `stream` are supplied by the runtime (they start child runs). */
export function createContext(
  fields: ContextFields,
  children: Pick<WorkflowContext, "run" | "stream">,
): WorkflowContext {
  let counted: Set<string> | undefined;
  return {
    runId: fields.runId,
    parentRunId: fields.parentRunId,
    sessionId: fields.sessionId,
    workflowId: fields.workflowId,
    workflowName: fields.workflowName,
    userId: fields.userId,
    get sessionState() {
      return fields.sessionState.get();
    },
    set sessionState(next: SessionState) {
      fields.sessionState.set(next);
    },
    history: fields.history,
    metrics: fields.metrics,
    get signal() {
      return fields.signal();
    },
    recordUsage(callId: string, usage: RunMetrics): void {
      counted ??= new Set();
      if (counted.has(callId)) return;
      counted.add(callId);
      addUsage(fields.metrics, usage);
    },
    run: children.run,
    stream: children.stream,
  };
}
