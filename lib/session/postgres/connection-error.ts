import { StorageUnavailableError } from "../../errors.js";

/** Socket-level failures: nobody listening, connection reset, timed out, host unreachable. */
const networkCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * SQLSTATEs of a server that went away or is not accepting work: class 08 (connection
 * exception), and `57P01`–`57P03` (shut down by an administrator, crashed, starting up or
 * shutting down).
 */
function isUnavailableState(code: string): boolean {
  return code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03";
}

/** What `pg` and Kysely say, without a code, about a connection that died or never came up. */
const lostConnection =
  /Connection terminated|not queryable|timeout exceeded when trying to connect|Connection ended|connection has been discarded/i;

/** Whether `error` says the database could not be reached (rather than refusing a statement). */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code: unknown = (error as { code?: unknown }).code;
  if (typeof code === "string" && (networkCodes.has(code) || isUnavailableState(code))) {
    return true;
  }
  if (lostConnection.test(error.message)) return true;
  // AggregateError (several addresses tried) and wrapped causes.
  if (error instanceof AggregateError) return error.errors.some(isConnectionError);
  return error.cause !== undefined && error.cause !== error && isConnectionError(error.cause);
}

/** PostgreSQL's codes for a statement cut short by a time limit, and what each means. */
const timeoutStates: Record<string, string> = {
  "57014": "it ran past statement_timeout (or was cancelled)",
  "55P03": "it waited past lock_timeout for a lock another transaction held",
  "25P03": "its transaction sat idle past idle_in_transaction_session_timeout",
};

/** Whether `error` is PostgreSQL refusing to wait for a lock any longer (`lock_timeout`). */
export function isLockTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "55P03";
}

/**
 * `error` as a {@link StorageUnavailableError} when it is a lost connection or a statement the
 * server cut short on a time limit; otherwise as is.
 */
export function toStorageError(error: unknown): unknown {
  if (error instanceof StorageUnavailableError) return error;
  const code: unknown = (error as { code?: unknown } | null)?.code;
  const limit = typeof code === "string" ? timeoutStates[code] : undefined;
  if (limit !== undefined) {
    const reason = error instanceof Error ? error.message : String(error);
    return new StorageUnavailableError(
      `The PostgreSQL database did not finish a statement of the store: ${limit} (${reason}). ` +
        `The operation did not complete: a run that fails with this error was not saved, and ` +
        `its session state is as it was before the run. Run again; if it keeps happening, look ` +
        `for long transactions or locks on the store's tables, or raise the limit.`,
      { cause: error },
    );
  }
  if (!isConnectionError(error)) return error;
  const reason = error instanceof Error && error.message !== "" ? error.message : String(error);
  return new StorageUnavailableError(
    `The PostgreSQL database could not be reached (${reason}). The operation did not complete: ` +
      `a run that fails with this error was not saved, and its session state is as it was ` +
      `before the run. The store reconnects on its own; run again once the database is ` +
      `reachable (see StorageUnavailableError in the README for a retry policy).`,
    { cause: error },
  );
}
