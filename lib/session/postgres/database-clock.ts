import { type Kysely, sql } from "kysely";

/**
 * The database server's clock, read once on first use and again every `resyncMs`, then told
 * from the local clock plus the measured offset (no round trip per reading). Lease expiries
 * written by workers on different machines are then all in the server's time, so clocks that
 * disagree between machines cannot end a live lease early or keep a dead one alive. Readings
 * never go backwards within a process.
 */
export class DatabaseClock {
  #offset = 0;
  #last = 0;
  #syncedAt = Number.NEGATIVE_INFINITY;
  readonly #db: Kysely<unknown>;
  readonly #resyncMs: number;

  /** A clock of the database `db` reaches, read again every `resyncMs`. */
  constructor(db: Kysely<unknown>, resyncMs = 60_000) {
    this.#db = db;
    this.#resyncMs = resyncMs;
  }

  /** Epoch ms by the database's clock (the local clock until the first sync). */
  readonly now = (): number => {
    const local = Date.now();
    if (local - this.#syncedAt > this.#resyncMs) {
      this.#syncedAt = local; // One attempt per period, even when it fails.
      this.sync().catch(() => {}); // A failed sync keeps the last offset.
    }
    this.#last = Math.max(this.#last, local + this.#offset);
    return this.#last;
  };

  /** Measures the offset, on `db` (e.g. one connection of the clock's database) when given. */
  async sync(db: Kysely<unknown> = this.#db): Promise<void> {
    const before = Date.now();
    const { rows } = await sql<{
      now: number | string;
    }>`select (extract(epoch from clock_timestamp()) * 1000)::float8 as now`.execute(db);
    const after = Date.now();
    const server = Number(rows[0]?.now);
    if (!Number.isFinite(server)) return;
    this.#offset = Math.round(server - (before + after) / 2);
    this.#syncedAt = after;
  }
}
