import { randomFillSync, randomUUID } from "node:crypto";

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

/** Random bytes drawn in bulk (one call into the system's generator per 256 ids). */
const pool = new Uint8Array(16 * 256);
let drawn = pool.length;
const bytes = new Uint8Array(16);
const hex = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * A new run id: a version-7 UUID (a millisecond timestamp, then random bits), so the rows of
 * recent runs and of their journaled steps are appended at the end of the stores' indexes
 * rather than scattered through them.
 */
export function newRunId(): string {
  if (drawn === pool.length) {
    randomFillSync(pool);
    drawn = 0;
  }
  bytes.set(pool.subarray(drawn, drawn + 16));
  drawn += 16;
  const ms = Date.now();
  bytes[0] = Math.floor(ms / 2 ** 40) & 255;
  bytes[1] = Math.floor(ms / 2 ** 32) & 255;
  bytes[2] = (ms >>> 24) & 255;
  bytes[3] = (ms >>> 16) & 255;
  bytes[4] = (ms >>> 8) & 255;
  bytes[5] = ms & 255;
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const h = (i: number) => hex[bytes[i] as number] as string;
  return `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${h(6)}${h(7)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
}
