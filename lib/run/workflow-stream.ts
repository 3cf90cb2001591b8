import { AsyncIterableX } from "@reactivex/ix-esnext-esm/asynciterable/asynciterablex";
import type { WorkflowEvent } from "./run-event.js";

/**
 * The cold event stream `execute` returns: nothing runs until it is iterated, and each iteration
 * is a new run. It is an IxJS `AsyncIterableX`, so IxJS operators apply through `.pipe(…)`.
 *
 * @example
 * ```ts
 * import { execute } from "buddy-ai";
 * import { filter } from "@reactivex/ix-esnext-esm/asynciterable/operators/filter";
 * const deltas = execute(async function* () { yield "a"; yield "b"; }, undefined).pipe(
 *   filter((e) => e.event === "RunResponseContent"),
 * );
 * for await (const e of deltas) console.log(e);
 * ```
 */
export class WorkflowStream extends AsyncIterableX<WorkflowEvent> {
  readonly #start: () => AsyncGenerator<WorkflowEvent, void, undefined>;

  /** @internal */
  constructor(start: () => AsyncGenerator<WorkflowEvent, void, undefined>) {
    super();
    this.#start = start;
  }

  /** Starts a run. */
  [Symbol.asyncIterator](): AsyncGenerator<WorkflowEvent, void, undefined> {
    return this.#start();
  }
}
