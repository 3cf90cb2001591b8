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
 * Keeps the lease of `owner` alive by pushing its expiry `leaseMs` ahead every `leaseMs / 3`.
 * The timer does not keep the process alive. Returns the function that stops the renewals.
 */
export function renewLease(
  ledger: RunLedger,
  leaseMs: number,
  sessionId: string,
  owner: string,
): () => void {
  const timer = setInterval(
    () => {
      // A failed renewal only shortens the lease; the save's check catches a lost one.
      Promise.resolve()
        .then(() => ledger.renew(sessionId, owner))
        .catch(() => {});
    },
    Math.max(1, Math.floor(leaseMs / 3)),
  );
  timer.unref();
  return () => clearInterval(timer);
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
