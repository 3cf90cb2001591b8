import type { LogConfig } from "kysely";
import type { QueryLogEvent } from "./storage-options.js";

/** Kysely's `log` option forwarding to `onQuery`, or undefined when there is no listener. */
export function queryLog(
  onQuery: ((event: QueryLogEvent) => void) | undefined,
): LogConfig | undefined {
  if (onQuery === undefined) return undefined;
  return (event) => {
    const base = {
      sql: event.query.sql,
      parameters: event.query.parameters,
      durationMs: event.queryDurationMillis,
    };
    onQuery(event.level === "error" ? { ...base, error: event.error } : base);
  };
}
