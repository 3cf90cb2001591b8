import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { AbortError } from "../errors.js";
import {
  ModelError,
  type ModelErrorOptions,
  ModelHTTPError,
  ModelStreamError,
  ModelTimeoutError,
} from "./model-errors.js";

/** Where and how a model is called, for error messages and retries. */
export interface CallSite {
  readonly modelId: string;
  readonly baseURL: string;
  readonly maxRetries: number;
  /** Per-attempt bound on the wait for the response (ms). */
  readonly timeout: number;
  /** Bound on the silence between streamed chunks (ms). */
  readonly idleTimeout: number;
}

/** What one attempt got before it failed. */
export interface AttemptState {
  /** The response's headers arrived (HTTP 200): later failures are the stream's. */
  headers: boolean;
  /** Text deltas handed to the consumer. */
  deltas: number;
  /** Their text. */
  text: string;
  /** Which of our timers aborted the attempt, if one did. */
  timedOut: "request" | "idle" | undefined;
}

/** An error event inside a stream that the SDK does not throw itself (`{"object":"error"}`). */
export class InBandError extends Error {
  constructor(readonly body: Record<string, unknown>) {
    super(typeof body.message === "string" ? body.message : JSON.stringify(body));
  }
}

/** An event that is not a chat completion chunk. */
export class MalformedEventError extends Error {
  constructor(readonly event: string) {
    super(`an event without \`choices\`: ${event}`);
  }
}

/** The stream ended without a finish reason. */
export class EndedEarlyError extends Error {
  constructor(readonly firstEvent: string | undefined) {
    super("the stream ended without a finish reason");
  }
}

/** A failed attempt, classified: the error to throw, and whether (and when) to retry. */
export interface Failure {
  /** Builds the error to throw, given the attempts made and why it was not retried. */
  readonly error: (attempts: number, note: string) => Error;
  readonly retryable: boolean;
  /** What the server asked for (Retry-After), in ms. */
  readonly retryAfterMs?: number;
  readonly abort?: boolean;
}

/** Error bodies of failed responses, by their headers object (the SDK keeps only `error`). */
export const errorBodies = new WeakMap<Headers, string>();

/** Classifies what one attempt threw. */
export function classify(
  raw: unknown,
  state: AttemptState,
  site: CallSite,
  signal: AbortSignal | undefined,
): Failure {
  const where = `Model "${site.modelId}" at ${site.baseURL}`;
  const options = (attempts: number): ModelErrorOptions => ({
    baseURL: site.baseURL,
    attempts,
    cause: raw,
  });
  if (signal?.aborted || (raw instanceof APIUserAbortError && state.timedOut === undefined)) {
    return {
      abort: true,
      retryable: false,
      error: () =>
        new AbortError(`The call to model "${site.modelId}" was aborted`, {
          cause: signal?.reason ?? raw,
        }),
    };
  }
  const fresh = state.deltas === 0;
  const progress =
    state.deltas === 0 ? "before the first delta" : `mid-answer after ${state.deltas} deltas`;
  if (state.timedOut !== undefined || raw instanceof APIConnectionTimeoutError) {
    const phase = state.timedOut ?? "request";
    const ms = phase === "idle" ? site.idleTimeout : site.timeout;
    const what =
      phase === "idle"
        ? `sent nothing for ${ms} ms ${progress} (\`idleTimeout\`)`
        : `did not answer within ${ms} ms (\`timeout\`)`;
    return {
      retryable: fresh,
      error: (attempts, note) =>
        new ModelTimeoutError(
          site.modelId,
          `${where} ${what}${note}; raise \`${phase === "idle" ? "idleTimeout" : "timeout"}\` or check the server`,
          { ...options(attempts), phase, timeoutMs: ms },
        ),
    };
  }
  if (raw instanceof APIError && typeof raw.status === "number") {
    const status = raw.status;
    const { body, text } = errorBody(raw);
    const headers = raw.headers;
    const should = headers?.get("x-should-retry");
    const retryable =
      should === "true" ||
      (should !== "false" && isRetryableStatus(status) && raw.code !== "insufficient_quota");
    const retryAfterMs = retryAfter(headers);
    return {
      retryable,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      error: (attempts, note) =>
        new ModelHTTPError(
          site.modelId,
          status,
          `${where} answered HTTP ${status}: ${text}${note}; ${hint(status)}`,
          body,
          options(attempts),
        ),
    };
  }
  if (raw instanceof APIConnectionError && !state.headers) {
    return {
      retryable: true,
      error: (attempts, note) =>
        new ModelError(
          site.modelId,
          `Could not reach ${site.baseURL} for model "${site.modelId}": ${describeCause(raw)}${note}; check \`baseURL\` / OPENAI_BASE_URL and that the server is running`,
          options(attempts),
        ),
    };
  }
  if (
    (raw instanceof APIError && !(raw instanceof APIConnectionError)) ||
    raw instanceof InBandError
  ) {
    const body: Record<string, unknown> =
      raw instanceof InBandError ? raw.body : ((raw.error as Record<string, unknown>) ?? {});
    const code =
      typeof body.code === "string" || typeof body.code === "number" ? body.code : undefined;
    const type = typeof body.type === "string" ? body.type : undefined;
    const message = typeof body.message === "string" ? body.message : raw.message;
    const status = inBandStatus(code, type);
    const retryable =
      fresh && status !== undefined && isRetryableStatus(status) && code !== "insufficient_quota";
    const labels = [
      code === undefined ? "" : `code ${JSON.stringify(code)}`,
      type === undefined ? "" : `type ${JSON.stringify(type)}`,
    ].filter(Boolean);
    return {
      retryable,
      error: (attempts, note) =>
        new ModelStreamError(
          site.modelId,
          `${where} sent an error inside the stream ${progress}: ${message}${labels.length > 0 ? ` (${labels.join(", ")})` : ""}${note}`,
          {
            failure: "error-event",
            deltas: state.deltas,
            partialText: state.text,
            ...(code === undefined ? {} : { code }),
            ...(type === undefined ? {} : { type }),
          },
          { ...options(attempts), ...(status === undefined ? {} : { status }) },
        ),
    };
  }
  if (raw instanceof MalformedEventError || raw instanceof SyntaxError) {
    const event = raw instanceof MalformedEventError ? raw.event : undefined;
    const what =
      raw instanceof MalformedEventError
        ? `sent an event that is not a chat completion chunk (no \`choices\`): ${raw.event}`
        : `sent an event that is not JSON (${raw.message})`;
    return {
      retryable: false,
      error: (attempts, note) =>
        new ModelStreamError(
          site.modelId,
          `${where} ${what}${note}; is \`baseURL\` an OpenAI-compatible Chat Completions endpoint?`,
          {
            failure: "malformed",
            deltas: state.deltas,
            partialText: state.text,
            ...(event === undefined ? {} : { firstEvent: event }),
          },
          options(attempts),
        ),
    };
  }
  if (raw instanceof EndedEarlyError) {
    const seen = raw.firstEvent === undefined ? "no events" : `first event: ${raw.firstEvent}`;
    return {
      retryable: fresh,
      error: (attempts, note) =>
        new ModelStreamError(
          site.modelId,
          state.deltas === 0
            ? `${where} ended the stream without an answer (${seen})${note}`
            : `${where} closed the stream mid-answer after ${state.deltas} deltas, without a finish reason${note}`,
          {
            failure: "dropped",
            deltas: state.deltas,
            partialText: state.text,
            ...(raw.firstEvent === undefined ? {} : { firstEvent: raw.firstEvent }),
          },
          options(attempts),
        ),
    };
  }
  if (state.headers) {
    // undici's `TypeError: terminated`, a reset socket…: the connection broke mid-stream.
    return {
      retryable: fresh,
      error: (attempts, note) =>
        new ModelStreamError(
          site.modelId,
          `${where} closed the connection ${progress} (${describeCause(raw)})${note}`,
          { failure: "dropped", deltas: state.deltas, partialText: state.text },
          options(attempts),
        ),
    };
  }
  return {
    retryable: false,
    error: (attempts, note) =>
      new ModelError(
        site.modelId,
        `${where} failed: ${describeCause(raw)}${note}`,
        options(attempts),
      ),
  };
}

/** 408, 409 (lock timeout), 429 and 5xx: worth another attempt. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** The HTTP status an in-band error's `code` or `type` stands for, when it says. */
export function inBandStatus(
  code: string | number | undefined,
  type: string | undefined,
): number | undefined {
  const numeric = typeof code === "number" ? code : Number(code);
  if (Number.isInteger(numeric) && numeric >= 400 && numeric < 600) return numeric;
  const words = `${code ?? ""} ${type ?? ""}`.toLowerCase();
  if (/rate_limit|too_many_requests|insufficient_quota/.test(words)) return 429;
  if (/overloaded|service_unavailable|unavailable/.test(words)) return 503;
  if (/server_error|internal_error|internal_server_error|api_error/.test(words)) return 500;
  if (/timeout/.test(words)) return 504;
  if (/authentication|invalid_api_key/.test(words)) return 401;
  if (/permission/.test(words)) return 403;
  if (/not_found/.test(words)) return 404;
  if (/invalid_request|bad_request|context_length/.test(words)) return 400;
  return undefined;
}

/** Retry-After (`retry-after-ms`, or `retry-after` in seconds or as a date), in ms. */
export function retryAfter(headers: Headers | undefined): number | undefined {
  const ms = headers?.get("retry-after-ms");
  if (ms) {
    const value = Number.parseFloat(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const after = headers?.get("retry-after");
  if (!after) return undefined;
  const seconds = Number.parseFloat(after);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** The body of an HTTP error as the server sent it: OpenAI's `error`, other JSON, or text. */
function errorBody(error: APIError): { body: unknown; text: string } {
  const raw = error.headers === undefined ? undefined : errorBodies.get(error.headers);
  let parsed: unknown = error.error;
  if (raw !== undefined) {
    try {
      parsed = JSON.parse(raw) as unknown;
    } catch {
      parsed = raw;
    }
  }
  if (parsed !== null && typeof parsed === "object" && "error" in parsed) {
    parsed = (parsed as { error: unknown }).error ?? parsed;
  }
  return { body: parsed ?? error.error, text: explain(parsed) ?? raw ?? "(no body)" };
}

/** The explanation in an error body: `message`, `detail` (FastAPI), `error`, or the text. */
function explain(body: unknown): string | undefined {
  if (typeof body === "string") return body.trim() === "" ? undefined : shorten(body.trim());
  if (body === null || typeof body !== "object") return undefined;
  const record = body as Record<string, unknown>;
  for (const key of ["message", "detail", "error", "msg"]) {
    const value = record[key];
    if (typeof value === "string" && value !== "") return value;
    if (value !== undefined && value !== null) return shorten(JSON.stringify(value));
  }
  return shorten(JSON.stringify(body));
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.name === "Error" ? "" : `${error.name}: `}${error.message}${cause}`;
}

function hint(status: number): string {
  if (status === 401 || status === 403) {
    return "check the API key (the `apiKey` option or OPENAI_API_KEY) and its permissions";
  }
  if (status === 404) return "check the model id and `baseURL` (it usually ends in /v1)";
  if (isRetryableStatus(status)) return "try again later, or raise `maxRetries`";
  return "the server's message says what it rejected";
}

/** At most 300 characters of `text`. */
export function shorten(text: string): string {
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}
