import { InvalidSessionFieldError } from "../errors.js";

/** The text values a store keeps in its own columns (not encoded like state). */
export type SessionField = "sessionId" | "runId" | "workflowId" | "userId" | "sessionName";

/** Longest session or run id, in bytes of UTF-8: far below any database's index entry limit. */
export const maxIdBytes = 1024;

/** A UTF-16 surrogate not paired with its other half (in `u` mode a pair is one code point). */
const loneSurrogate = /\p{Surrogate}/u;

/**
 * Checks a text value before a store reads or writes with it, so every store treats it alike:
 * PostgreSQL cannot hold a NUL in text, and both databases store text as UTF-8, where a lone
 * surrogate becomes U+FFFD (two different ids would then name one session). Session and run
 * ids are also index keys, bounded by {@link maxIdBytes}. Throws `InvalidSessionFieldError`.
 */
export function checkSessionField(field: SessionField, value: unknown): string {
  if (typeof value !== "string") {
    throw new InvalidSessionFieldError(field, `must be a string, got ${describe(value)}`);
  }
  if (value === "" && (field === "sessionId" || field === "runId")) {
    throw new InvalidSessionFieldError(
      field,
      "is empty: an empty id names nothing (omit it for a new one, e.g. newSessionId())",
    );
  }
  const nul = value.indexOf("\u0000");
  if (nul >= 0) {
    throw new InvalidSessionFieldError(
      field,
      `${preview(value)} holds a NUL character (\\u0000) at index ${nul}`,
    );
  }
  const surrogate = loneSurrogate.exec(value);
  if (surrogate !== null) {
    throw new InvalidSessionFieldError(
      field,
      `${preview(value)} holds a lone UTF-16 surrogate at index ${surrogate.index}, which no ` +
        `database stores exactly`,
    );
  }
  if ((field === "sessionId" || field === "runId") && value.length > maxIdBytes / 4) {
    const bytes = Buffer.byteLength(value, "utf8");
    if (bytes > maxIdBytes) {
      throw new InvalidSessionFieldError(
        field,
        `${preview(value)} is ${bytes} bytes of UTF-8, more than ${maxIdBytes}`,
      );
    }
  }
  return value;
}

/** Checks `value` with {@link checkSessionField} when it is present. */
export function checkOptionalField(field: SessionField, value: unknown): string | undefined {
  return value === undefined ? undefined : checkSessionField(field, value);
}

function preview(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

function describe(value: unknown): string {
  return value === null ? "null" : typeof value;
}
