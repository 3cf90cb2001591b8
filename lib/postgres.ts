/**
 * `buddy-ai/postgres`: the PostgreSQL session store (through `pg`, an optional peer dependency:
 * `npm install pg`), for workers on many machines sharing one database.
 *
 * @example
 * ```ts
 * import { postgresStorage } from "buddy-ai/postgres";
 * const storage = postgresStorage({
 *   connectionString: process.env.DATABASE_URL ?? "postgres://localhost/app",
 *   schema: "buddy",
 * });
 * ```
 */
export type { QueryLogEvent, StorageOptions } from "./session/kysely/storage-options.js";
export type {
  PostgresPool,
  PostgresPoolStorageOptions,
  PostgresStorageOptions,
  PostgresStoreOptions,
  PostgresUrlStorageOptions,
} from "./session/postgres/postgres-storage.js";
export { postgresStorage } from "./session/postgres/postgres-storage.js";
