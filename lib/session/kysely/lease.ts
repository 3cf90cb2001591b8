import { AbortError, SessionBusyError } from "../../errors.js";
import { pause } from "../../run/pause.js";
import type { Claimed, ClaimWrite, RunLedger } from "./run-ledger.js";

const abandoned =
  "abandoned: the process running it stopped before it finished (its lease on the session expired)";

/**
 * Claims `write.sessionId` for one run through `ledger` (see {@link RunLedger.claim}). While
 * another run holds a live lease it tries again after a growing pause (5–50 ms) until
 * `deadline` (epoch ms, this process's clock), then throws `SessionBusyError`; `signal` stops
 * the wait with an `AbortError`.
 */
export async function claimLease(
  ledger: RunLedger,
  write: ClaimWrite,
  deadline: number,
  busyTimeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<Claimed> {
  let wait = 5;
  for (;;) {
    if (signal?.aborted) throw abortError(write.sessionId, signal);
    const attempt = ledger.claim(write, abandoned);
    const claimed = attempt instanceof Promise ? await attempt : attempt;
    if (claimed !== undefined) return claimed;
    const local = Date.now();
    if (local >= deadline) throw busyError(write.sessionId, busyTimeoutMs);
    await pause(Math.max(1, Math.min(wait, deadline - local)), signal);
    wait = Math.min(wait * 2, 50);
  }
}

/**
 * The leases a store holds for its runs in flight, each kept alive by pushing its expiry
 * `leaseMs` ahead at least every `leaseMs / 3`: one timer for all of them, ticking while any is
 * held (a timer per run meant an interval, and two closures, made and cleared on every run).
 * A lease taken just before a tick is renewed early; one taken just after, a third of
 * `leaseMs` later, as with a timer of its own. The timer does not keep the process alive.
 */
export class LeaseRenewals {
  /** Session id by lease owner. */
  readonly #held = new Map<string, string>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly ledger: RunLedger,
    private readonly leaseMs: number,
  ) {}

  /** Renews `owner`'s lease on `sessionId` until {@link release}. */
  hold(sessionId: string, owner: string): void {
    this.#held.set(owner, sessionId);
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.#renewAll(), Math.max(1, Math.floor(this.leaseMs / 3)));
    this.#timer.unref();
  }

  /** Stops renewing `owner`'s lease. */
  release(owner: string): void {
    this.#held.delete(owner);
  }

  /** Stops the timer and forgets every lease held (the store closes, or none is held). */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#held.clear();
  }

  #renewAll(): void {
    // Idle for a whole period: the next lease held starts the timer again.
    if (this.#held.size === 0) {
      this.stop();
      return;
    }
    for (const [owner, sessionId] of this.#held) {
      // A failed renewal only shortens the lease; the save's check catches a lost one.
      Promise.resolve()
        .then(() => this.ledger.renew(sessionId, owner))
        .catch(() => {});
    }
  }
}

/** The error of a wait cut short by the run's signal. */
export function abortError(sessionId: string, signal: AbortSignal): AbortError {
  return new AbortError(`Stopped waiting for session "${sessionId}": the run was cancelled`, {
    cause: signal.reason,
  });
}

/** The error of a session that stayed busy until the deadline. */
export function busyError(sessionId: string, busyTimeoutMs: number): SessionBusyError {
  return new SessionBusyError(
    `Session "${sessionId}" stayed busy for ${busyTimeoutMs} ms: another run (in this or another ` +
      `process) holds it. Runs on one session take turns; wait and run again, raise the store's ` +
      `busyTimeoutMs, or use another sessionId.`,
  );
}
