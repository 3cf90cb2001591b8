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

/** A new random run id (a UUID). */
export function newRunId(): string {
  return randomUUID();
}
