/**
 * What a step's function gets: the run's signal, which attempt this is (1 on the first try),
 * and a key that stays the same for this step on every replay of the run (give it to outside
 * APIs that deduplicate requests, such as payment providers).
 *
 * @example
 * ```ts
 * import type { StepInfo } from "buddy-ai";
 * const charge = async ({ signal, idempotencyKey }: StepInfo) =>
 *   fetch("https://payments.example/charge", { method: "POST", signal, headers: { "Idempotency-Key": idempotencyKey } });
 * ```
 */
export interface StepInfo {
  readonly signal: AbortSignal;
  readonly attempt: number;
  readonly idempotencyKey: string;
}

/**
 * Options of `ctx.step`: `retry` runs a failing step again, up to `attempts` tries in all
 * (default 1), waiting `backoffMs` (default 100) before the second, twice that before the
 * third, and so on.
 *
 * @example
 * ```ts
 * import type { StepOptions } from "buddy-ai";
 * const options: StepOptions = { retry: { attempts: 3, backoffMs: 200 } };
 * ```
 */
export interface StepOptions {
  readonly retry?: { readonly attempts?: number; readonly backoffMs?: number };
}
