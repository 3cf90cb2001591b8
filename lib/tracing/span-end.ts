import type { AttributeValue, Span } from "@opentelemetry/api";

/** `SpanStatusCode.ERROR`, without importing the API's values. */
const statusError = 2;

/** Ends `span` as failed: an `exception` event, `error.type`, and status ERROR with the message. */
export function endFailed(span: Span, error: unknown): void {
  const named = error instanceof Error ? error : new Error(String(error));
  span.recordException(named);
  span.setAttribute("error.type", named.name);
  span.setStatus({ code: statusError, message: named.message });
  span.end();
}

/**
 * Ends `span` as cancelled: `buddy.cancelled=true` and the reason, status left unset (being
 * cancelled is what the caller asked for, not a failure of the work).
 */
export function endCancelled(span: Span, reason: unknown): void {
  span.setAttribute("buddy.cancelled", true);
  const message =
    reason instanceof Error ? reason.message : reason === undefined ? "" : String(reason);
  if (message !== "") span.setAttribute("buddy.cancel.reason", message);
  span.end();
}

/** True for the errors a cancellation rejects with (`AbortError`, a signal's reason). */
export function isCancellation(error: unknown): boolean {
  return (
    (error instanceof Error || error instanceof DOMException) &&
    (error.name === "AbortError" || error.name === "TimeoutError")
  );
}

/** A content value as an attribute: strings as they are, anything else as JSON. */
export function contentValue(value: unknown): AttributeValue {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
