import { randomUUID } from "node:crypto";

/**
 * A new random session id (a UUID). Pass it as `sessionId` to start a fresh session; pass the
 * same id again to resume it.
 *
 * @example
 * ```ts
 * import { newSessionId, run } from "buddy-ai";
 * const sessionId = newSessionId();
 * await run(async function* hi() { yield "hi"; }, undefined, { sessionId });
 * ```
 */
export function newSessionId(): string {
  return randomUUID();
}

let lastMs = -1;
let prefix = "";

/**
 * A new run id: a version-7 UUID (a millisecond timestamp, then random bits), so the rows of
 * recent runs and of their journaled steps are appended at the end of the stores' indexes
 * rather than scattered through them. The random part is `randomUUID()`'s (its variant bits
 * included); the time prefix is made once per millisecond.
 */
export function newRunId(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    const ms = now.toString(16).padStart(12, "0");
    prefix = `${ms.slice(0, 8)}-${ms.slice(8)}-7`;
  }
  // randomUUID(): xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx; keep what follows its version digit.
  return prefix + randomUUID().slice(15);
}
