import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { PendingWait } from "./run-event.js";

/**
 * Options of `ctx.waitFor`: a Standard Schema (zod, valibot, arktype…) the answer must satisfy
 * (`resume` refuses one that does not, with `InputValidationError`), and a prompt for whoever
 * answers (stored with the suspended run and sent in `WorkflowSuspended`).
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import type { WaitOptions } from "buddy-ai";
 * const options: WaitOptions<{ approved: boolean }> = {
 *   schema: z.object({ approved: z.boolean() }),
 *   prompt: "Refund 12 EUR?",
 * };
 * ```
 */
export interface WaitOptions<T> {
  readonly schema?: StandardSchemaV1<unknown, T>;
  readonly prompt?: unknown;
  /**
   * How long to wait (ms, from when the run first suspended on it). Once past, `recoverRuns`
   * continues the run and the wait fails with `WaitTimeoutError`.
   */
  readonly timeoutMs?: number;
}

/**
 * Thrown by `ctx.waitFor` when its answer has not come: it unwinds the workflow function to the
 * runtime, which suspends the run. Let it pass (do not catch it, or rethrow it): the run
 * replays from the top when it is resumed. `cause` is set when a resume's answer was refused.
 */
export class Suspension extends Error {
  constructor(
    readonly waits: readonly PendingWait[],
    options?: ErrorOptions,
  ) {
    super(`The run waits for ${waits.map((w) => `"${w.name}"`).join(", ")}`, options);
    this.name = "Suspension";
  }
}
