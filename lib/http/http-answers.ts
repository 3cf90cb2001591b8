import { toJson } from "../run/event-json.js";

/** A failure the handler answers with its status and `{ error, issues? }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues?: readonly { message: string; path: readonly PropertyKey[] }[],
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** A JSON response. */
export function json(body: unknown, status = 200): Response {
  return new Response(toJson(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}

/** The answer to a failed request: its status and message (never a stack trace). */
export function errorAnswer(error: HttpError): Response {
  const body =
    error.issues === undefined
      ? { error: error.message }
      : { error: error.message, issues: error.issues.map(issueJson) };
  return json(body, error.status);
}

function issueJson(issue: { message: string; path: readonly PropertyKey[] }) {
  return {
    message: issue.message,
    path: issue.path.map((p) => (typeof p === "symbol" ? String(p) : p)),
  };
}

/**
 * The request's body as a JSON object, read up to `limit` bytes: 413 beyond it, 400 for a body
 * that is not JSON or not an object.
 */
export async function readJsonObject(
  request: Request,
  limit: number,
): Promise<Record<string, unknown>> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) throw tooLarge(limit);
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body !== null) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        throw tooLarge(limit);
      }
      chunks.push(value);
    }
  }
  const text = new TextDecoder().decode(concat(chunks, size));
  let body: unknown;
  try {
    body = text === "" ? {} : JSON.parse(text);
  } catch {
    throw new HttpError(400, "The request body is not valid JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HttpError(400, "The request body must be a JSON object");
  }
  return body as Record<string, unknown>;
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `The request body is larger than ${limit} bytes`);
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.byteLength;
  }
  return all;
}
