/**
 * Where the runtime reports warnings (e.g. a workflow yielded a value that is neither content
 * nor an event) and, with `debug: true`, every event. `console` fits.
 *
 * @example
 * ```ts
 * import type { Logger } from "buddy-ai";
 * const quiet: Logger = { warn: () => {}, debug: () => {} };
 * ```
 */
export interface Logger {
  warn(message: string): void;
  debug(message: string): void;
}
