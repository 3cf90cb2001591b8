import type { WorkflowEvent } from "./run-event.js";

/**
 * `value` as JSON text, as events go over the wire: a `bigint` becomes its decimal string and a
 * circular reference `"[Circular]"` rather than failing the stream.
 */
export function toJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "null";
  } catch {
    const seen = new WeakSet<object>();
    return (
      JSON.stringify(value, (_key, v: unknown) => {
        if (typeof v === "bigint") return v.toString();
        if (typeof v === "object" && v !== null) {
          if (seen.has(v)) return "[Circular]";
          seen.add(v);
        }
        return v;
      }) ?? "null"
    );
  }
}

/** An event as JSON text (see {@link toJson}). */
export function eventJson(event: WorkflowEvent): string {
  return toJson(event);
}
