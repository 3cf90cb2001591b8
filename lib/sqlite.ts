/**
 * `buddy-ai/sqlite`: the SQLite session store (better-sqlite3), the embedded default.
 *
 * @example
 * ```ts
 * import { sqliteStorage } from "buddy-ai/sqlite";
 * const storage = sqliteStorage({ dbFile: "tmp/buddy.db" });
 * ```
 */
export type { QueryLogEvent, StorageOptions } from "./session/kysely/storage-options.js";
export type {
  SqliteFileStorageOptions,
  SqliteHandleStorageOptions,
  SqliteStorageOptions,
} from "./session/sqlite/sqlite-storage.js";
export { sqliteStorage } from "./session/sqlite/sqlite-storage.js";
