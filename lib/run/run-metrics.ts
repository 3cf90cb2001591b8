/**
 * Measurements of one run. Token counts add up over every model call the run made, including
 * those of agents streamed or run inside a workflow.
 *
 * @example
 * ```ts
 * import { RunResponse, run } from "buddy-ai";
 * const response = await run(async () => new RunResponse({ content: "hi" }), {});
 * console.log(response.metrics.durationMs, response.metrics.totalTokens);
 * ```
 */
export interface RunMetrics {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  /** Wall-clock duration of the run in milliseconds. */
  durationMs?: number;
}

const tokenKeys = ["inputTokens", "outputTokens", "totalTokens"] as const;

/** Adds the token counts of `extra` into `into` (in place) and returns `into`. */
export function addUsage(into: RunMetrics, extra: RunMetrics | undefined): RunMetrics {
  if (extra === undefined) return into;
  for (const key of tokenKeys) {
    const value = extra[key];
    if (value !== undefined) into[key] = (into[key] ?? 0) + value;
  }
  return into;
}
