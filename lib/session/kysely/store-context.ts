import type { Kysely } from "kysely";
import type { StoreQueries } from "./store-queries.js";
import type { StoreDatabase, StoreTables } from "./store-tables.js";

/** What the store's parts share: the database, its table names and the lease settings. */
export interface StoreContext {
  readonly db: Kysely<StoreDatabase>;
  readonly tables: StoreTables;
  /** The hot-path queries, compiled once. */
  readonly queries: StoreQueries;
  /** How long a claim on a session lasts without renewal (ms). */
  readonly leaseMs: number;
  /** How long `openRun` waits for a busy session before `SessionBusyError` (ms). */
  readonly busyTimeoutMs: number;
  /** How long the event logs of ended runs are kept (ms). */
  readonly eventRetentionMs: number;
  /** The clock of leases and stored timestamps (epoch ms); every process on a database shares it. */
  readonly now: () => number;
}
