import type { Logger } from "buddy-ai";

/** A logger that keeps what it is told, for assertions. */
export function captureLogger(): Logger & { warnings: string[]; debugs: string[] } {
  const warnings: string[] = [];
  const debugs: string[] = [];
  return {
    warnings,
    debugs,
    warn: (message) => warnings.push(message),
    debug: (message) => debugs.push(message),
  };
}

/** Collects every event of a stream; resolves `{ events, error }` instead of rejecting. */
export async function collect<E>(
  stream: AsyncIterable<E>,
): Promise<{ events: E[]; error: unknown }> {
  const events: E[] = [];
  try {
    for await (const event of stream) events.push(event);
    return { events, error: undefined };
  } catch (error) {
    return { events, error };
  }
}
