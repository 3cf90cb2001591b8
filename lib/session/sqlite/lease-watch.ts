/** A session's lease as a claim that found it held reads it. */
export interface ObservedLease {
  readonly lease_owner: string | null;
  readonly lease_expires_at: number | string | bigint | null;
}

/** A held lease as first seen with these values, by this process's monotonic clock. */
interface Sighting {
  readonly owner: string;
  readonly expires: number;
  readonly since: number;
}

/**
 * When a held lease has run out, judged without trusting anyone's wall clock. Its holder renews
 * it every third of `leaseMs`, writing a new expiry each time; a lease seen with the same owner
 * and expiry for half of `leaseMs` (by `performance.now()`, which no clock change moves) was not
 * renewed in that time, so its holder is gone (or stalled, and then fenced off at its save).
 * A live lease is never taken however far the clocks of its holder and its waiter disagree, and
 * a dead one is taken half a lease after a run starts waiting for it.
 */
export class LeaseWatch {
  readonly #seen = new Map<string, Sighting>();

  /** Notes the lease a claim of `sessionId` found held (or gone). */
  observe(sessionId: string, lease: ObservedLease | undefined): void {
    if (lease === undefined || lease.lease_owner === null) {
      this.#seen.delete(sessionId);
      return;
    }
    const owner = lease.lease_owner;
    const expires = lease.lease_expires_at === null ? 0 : Number(lease.lease_expires_at);
    const last = this.#seen.get(sessionId);
    if (last !== undefined && last.owner === owner && last.expires === expires) return;
    this.#seen.set(sessionId, { owner, expires, since: performance.now() });
  }

  /** The lease of `sessionId` seen unrenewed for half of `leaseMs`, if any: a claim may take it. */
  stale(sessionId: string, leaseMs: number): Sighting | undefined {
    const last = this.#seen.get(sessionId);
    if (last === undefined || performance.now() - last.since < leaseMs / 2) return undefined;
    return last;
  }

  /** The session was claimed: nothing to watch. */
  forget(sessionId: string): void {
    this.#seen.delete(sessionId);
  }
}
