import type { SqliteDatabase, SqliteStatement } from "kysely";
import { toSqliteStorageError } from "./sqlite-errors.js";

/**
 * Wraps a better-sqlite3 database (anything shaped like Kysely's `SqliteDatabase`) so that
 * `prepare` returns a cached statement per SQL text. Kysely's SQLite driver prepares every query
 * afresh, which costs more than running it; the store's queries come from a small fixed set, so
 * the cache stays small (at most `maxStatements`, oldest dropped first).
 *
 * Sharing statements is safe because Kysely's SQLite driver runs one query at a time on its one
 * connection (a mutex, held for a whole transaction) and better-sqlite3 runs each statement to
 * completion synchronously. `close()` closes the database only when `ownsDatabase` is true.
 * Errors of SQLite come out as the store's named errors about `file` (see `toSqliteStorageError`).
 */
export function cachingDatabase(
  database: SqliteDatabase,
  ownsDatabase: boolean,
  file: string,
  maxStatements = 200,
): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  const named = <T>(call: () => T): T => {
    try {
      return call();
    } catch (error) {
      throw toSqliteStorageError(error, file);
    }
  };
  return {
    prepare(sql: string): SqliteStatement {
      let statement = statements.get(sql);
      if (statement === undefined) {
        const prepared = named(() => database.prepare(sql));
        statement = {
          reader: prepared.reader,
          all: (parameters) => named(() => prepared.all(parameters)),
          run: (parameters) => named(() => prepared.run(parameters)),
          iterate: (parameters) => named(() => prepared.iterate(parameters)),
        };
        if (statements.size >= maxStatements) {
          const oldest = statements.keys().next();
          if (oldest.done !== true) statements.delete(oldest.value);
        }
        statements.set(sql, statement);
      }
      return statement;
    },
    close(): void {
      statements.clear();
      if (ownsDatabase) database.close();
    },
  };
}
