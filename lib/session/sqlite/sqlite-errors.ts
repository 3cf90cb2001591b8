import { StorageConfigError, StorageUnavailableError } from "../../errors.js";

/** The SQLite result code of a better-sqlite3 error (`SQLITE_FULL`, `SQLITE_IOERR_WRITE`…). */
export function sqliteCode(error: unknown): string | undefined {
  const code: unknown = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_") ? code : undefined;
}

/** Whether `error` says another connection holds the database's write lock. */
export function isSqliteBusy(error: unknown): boolean {
  const code = sqliteCode(error);
  return code !== undefined && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
}

/**
 * `error` as a named error of the store on the SQLite database `file`, keeping it as `cause`:
 * `StorageUnavailableError` when the database cannot do its work now (a full disk, an I/O error,
 * a lock held too long), `StorageConfigError` when it never will as configured (a path it cannot
 * open, a read-only file, a file that is not a database). Anything else is returned as is.
 */
export function toSqliteStorageError(error: unknown, file: string): unknown {
  if (error instanceof StorageUnavailableError || error instanceof StorageConfigError) return error;
  const code = sqliteCode(error) ?? "";
  const reason = error instanceof Error ? error.message : String(error);
  const where = `the SQLite database ${file}`;
  const unavailable = (what: string) =>
    new StorageUnavailableError(`${what} (${reason}). ${nothingLost}`, { cause: error });
  const config = (what: string) => new StorageConfigError(`${what} (${reason})`, { cause: error });
  if (code.startsWith("SQLITE_FULL")) {
    return unavailable(`${where} is full: its disk (or its max_page_count) has no room left`);
  }
  if (code.startsWith("SQLITE_IOERR")) return unavailable(`I/O error on ${where}, ${code}`);
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    return unavailable(
      `${where} stayed locked by another connection for longer than the store's busy timeout`,
    );
  }
  if (code.startsWith("SQLITE_READONLY")) {
    return config(
      `${where} is read-only: give this process write access to the file and its directory ` +
        "(SQLite also writes the -wal and -shm files beside it)",
    );
  }
  if (code.startsWith("SQLITE_CANTOPEN") || isDirectoryMissing(error)) {
    return config(
      `Cannot open ${where}: check the path, and that this process may create and write files ` +
        "in its directory",
    );
  }
  if (code.startsWith("SQLITE_NOTADB") || code.startsWith("SQLITE_CORRUPT")) {
    return config(
      `${file} is not a SQLite database, or it is damaged: point dbFile at another file, or ` +
        "restore this one from a backup",
    );
  }
  const fsCode: unknown = (error as { code?: unknown } | null)?.code;
  if (
    typeof fsCode === "string" &&
    ["EACCES", "EPERM", "EROFS", "ENOTDIR", "EEXIST"].includes(fsCode)
  ) {
    return config(`Cannot create the directory of ${where}: check the path and its permissions`);
  }
  return error;
}

const nothingLost =
  "The operation did not complete: a run that fails with this error was not saved, and its " +
  "session state is as it was before the run. Run again once the database is usable.";

/** better-sqlite3's own check (a TypeError) for a file in a directory that does not exist. */
function isDirectoryMissing(error: unknown): boolean {
  return error instanceof TypeError && /directory does not exist/i.test(error.message);
}
