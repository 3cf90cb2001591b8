import type { Message } from "./message.js";
import type { RunMetrics } from "./run-metrics.js";

/**
 * Where a run stands: `running` until it ends as `completed`, `error` or `cancelled`.
 *
 * @example
 * ```ts
 * import { type RunStatus, run } from "buddy-ai";
 * const status: RunStatus = (await run(async () => "x", undefined)).status; // "completed"
 * ```
 */
export type RunStatus = "running" | "completed" | "error" | "cancelled" | "suspended";

/**
 * The fields accepted by {@link RunResponse}'s constructor; all optional.
 *
 * @example
 * ```ts
 * import { RunResponse, type RunResponseInit } from "buddy-ai";
 * const init: RunResponseInit<string> = { content: "draft", extraData: { source: "notes" } };
 * const response = new RunResponse(init);
 * ```
 */
export interface RunResponseInit<C = unknown> {
  content?: C;
  contentType?: string;
  runId?: string;
  parentRunId?: string;
  sessionId?: string;
  workflowId?: string;
  createdAt?: number;
  finishedAt?: number;
  status?: RunStatus;
  metrics?: RunMetrics;
  messages?: readonly Message[];
  extraData?: Record<string, unknown>;
  input?: unknown;
  error?: string;
}

/**
 * The result of a workflow or agent run. A workflow returns or yields one; the runtime stamps
 * `runId`, `sessionId` and `workflowId` on it, and `run()` resolves to the final one.
 *
 * `createdAt` (when it started) and `finishedAt` (when it ended, or last suspended; undefined while
 * it runs) are timestamps in epoch milliseconds.
 *
 * @example
 * ```ts
 * import { RunResponse, defineWorkflow, run } from "buddy-ai";
 * const hello = defineWorkflow(async function hello(_ctx, name: string) {
 *   return new RunResponse({ content: `Hello, ${name}` });
 * });
 * const response = await run(hello, "Ada");
 * console.log(response.content, response.status); // "Hello, Ada" "completed"
 * ```
 */
export class RunResponse<C = unknown> {
  content: C | undefined;
  contentType: string;
  runId: string;
  /** Set on runs started by another run through `ctx.run` / `ctx.stream`. */
  parentRunId: string | undefined;
  sessionId: string;
  workflowId: string;
  createdAt: number;
  finishedAt: number | undefined;
  status: RunStatus;
  metrics: RunMetrics;
  messages: Message[];
  extraData: Record<string, unknown>;
  /** The input the run was started with (as stored). */
  input: unknown;
  /** The error message of a run that ended with status `error`. */
  error: string | undefined;

  constructor(init: RunResponseInit<C> = {}) {
    this.content = init.content;
    this.contentType = init.contentType ?? "str";
    this.runId = init.runId ?? "";
    this.parentRunId = init.parentRunId;
    this.sessionId = init.sessionId ?? "";
    this.workflowId = init.workflowId ?? "";
    this.createdAt = init.createdAt ?? Date.now();
    this.finishedAt = init.finishedAt;
    this.status = init.status ?? "running";
    this.metrics = init.metrics === undefined ? {} : { ...init.metrics };
    this.messages = init.messages === undefined ? [] : [...init.messages];
    this.extraData = init.extraData === undefined ? {} : { ...init.extraData };
    this.input = init.input;
    this.error = init.error;
  }
}
