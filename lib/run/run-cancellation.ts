import { AbortError } from "../errors.js";

/** What `whenAborted()` resolves to, so a race tells an abort from a value. */
export const aborted = Symbol("aborted");

/**
 * A run's cancellation: its own `AbortSignal`, linked to the caller's (or the parent run's). The
 * controller is made on first use: a run without a caller's signal whose workflow never reads
 * `ctx.signal` needs none (an AbortController costs more than the rest of such a run).
 */
export class RunCancellation {
  readonly #outer: AbortSignal | undefined;
  #controller: AbortController | undefined;
  #whenAborted: Promise<typeof aborted> | undefined;
  readonly #onOuterAbort = () => this.#controller?.abort(this.#outer?.reason);

  constructor(outer: AbortSignal | undefined) {
    this.#outer = outer;
    if (outer !== undefined) void this.signal;
  }

  /** True when something outside the run can cancel it while it awaits (a caller's signal). */
  get cancellable(): boolean {
    return this.#outer !== undefined;
  }

  /** The run's signal (`ctx.signal`). */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      const outer = this.#outer;
      if (outer?.aborted) this.#controller.abort(outer.reason);
      else outer?.addEventListener("abort", this.#onOuterAbort, { once: true });
    }
    return this.#controller.signal;
  }

  get aborted(): boolean {
    return this.#controller?.signal.aborted === true;
  }

  /** Throws the abort reason when the run has been cancelled. */
  throwIfAborted(): void {
    if (this.aborted) throw this.signal.reason;
  }

  /** Resolves `aborted` when the run is cancelled: a racer for awaits that ignore the signal. */
  whenAborted(): Promise<typeof aborted> {
    this.#whenAborted ??= new Promise((resolve) =>
      this.signal.addEventListener("abort", () => resolve(aborted), { once: true }),
    );
    return this.#whenAborted;
  }

  /**
   * The error a cancelled run rejects with (`error` when it already is one), its message naming
   * the signal's reason: "The run was cancelled: TimeoutError: signal timed out".
   */
  toAbortError(error: unknown): AbortError {
    if (error instanceof AbortError) return error;
    const reason: unknown = this.signal.reason;
    return new AbortError(`The run was cancelled${describeReason(reason)}`, { cause: reason });
  }

  abort(reason: unknown): void {
    void this.signal;
    this.#controller?.abort(reason);
  }

  /** Unlinks from the caller's signal once the run has ended. */
  dispose(): void {
    this.#outer?.removeEventListener("abort", this.#onOuterAbort);
  }
}

/** `": <name>: <message>"` for an abort reason (the name left out when it is `AbortError`). */
function describeReason(reason: unknown): string {
  if (reason === undefined) return "";
  if (reason instanceof Error || reason instanceof DOMException) {
    const { name, message } = reason;
    if (message === "") return `: ${name}`;
    return name === "AbortError" || name === "Error" ? `: ${message}` : `: ${name}: ${message}`;
  }
  if (typeof reason === "string") return reason === "" ? "" : `: ${reason}`;
  return `: ${String(reason)}`;
}
