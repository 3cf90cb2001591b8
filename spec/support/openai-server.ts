import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A tool call the server answers with; `arguments` is sent as is, split over two deltas. */
export interface ServerToolCall {
  readonly id?: string;
  readonly name: string;
  readonly arguments: string;
}

/** How the server answers one request. Without `status`, a 200 chat completion. */
export interface ServerReply {
  /** An HTTP error status (401, 429, 500…) answered with an OpenAI-style error body. */
  readonly status?: number;
  /** The error body's message. */
  readonly error?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The answer's text: a string streams word by word, an array chunk by chunk. */
  readonly text?: string | readonly string[];
  readonly toolCalls?: readonly ServerToolCall[];
  /** Usage to report; `null` reports none (like a server without usage support). */
  readonly usage?: { readonly prompt_tokens: number; readonly completion_tokens: number } | null;
  /** Pause before each streamed chunk, in milliseconds. */
  readonly delayMs?: number;
  /** After the text chunks, keep the stream open (no finish) until the client goes away. */
  readonly hang?: boolean;
  /** Never answer at all, not even headers (for timeouts). */
  readonly silent?: boolean;
  /** Drop the connection without answering (a connection error for the client). */
  readonly drop?: boolean;
  /**
   * After the text chunks, send this error as an SSE event (`data: {"error": …}`) instead of
   * finishing: a string is the message (type `server_error`), an object the whole `error`.
   */
  readonly streamError?: string | Readonly<Record<string, unknown>>;
  /**
   * After this many text chunks, destroy the socket mid-stream (no finish, no end of body); a
   * whole (non-streamed) answer breaks off after its headers and first bytes.
   */
  readonly dropAfter?: number;
  /**
   * Stream exactly these events (objects as JSON, strings as they are) and end the response,
   * without `[DONE]` unless listed: for events without `choices`, empty streams… A whole
   * (non-streamed) request gets the first one as its JSON body.
   */
  readonly events?: readonly unknown[];
  /** With an error `status`: send this body as JSON instead of OpenAI's `{ error: {…} }`. */
  readonly errorBody?: unknown;
  /** With an error `status`: send this text (text/plain) instead of JSON. */
  readonly errorText?: string;
  /**
   * How streamed tool-call arguments are split: `"halves"` (default: two deltas each),
   * `"whole"` (one delta with id, name and arguments), `"chars"` (one delta per character, the
   * name only on the first), `"interleaved"` (the calls' deltas alternate, by index, a few
   * characters at a time).
   */
  readonly toolCallSplit?: "halves" | "whole" | "chars" | "interleaved";
}

/** A reply, or a function choosing one from the request. */
export type ReplySource = ServerReply | ((request: RecordedRequest) => ServerReply);

/** A request the server received. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage["headers"];
  /** The parsed JSON body (a Chat Completions request). */
  readonly body: ChatRequestBody;
  /** True once the client closed the connection before the response was complete. */
  clientClosed: boolean;
  /** Settles when the exchange is over (response sent, or the client went away). */
  readonly done: Promise<void>;
}

/** The parts of a Chat Completions request body the specs look at. */
export interface ChatRequestBody {
  readonly model?: string;
  readonly stream?: boolean;
  readonly stream_options?: { readonly include_usage?: boolean };
  readonly messages: readonly {
    readonly role: string;
    readonly content?: string | null;
    readonly tool_calls?: readonly {
      id: string;
      function: { name: string; arguments: string };
    }[];
    readonly tool_call_id?: string;
  }[];
  readonly tools?: readonly {
    type: string;
    function: { name: string; description?: string; parameters?: Record<string, unknown> };
  }[];
  readonly response_format?: {
    type: string;
    json_schema?: { name: string; schema?: Record<string, unknown> };
  };
  readonly [key: string]: unknown;
}

/** A running local OpenAI-compatible server. */
export interface OpenAIServer {
  /** `http://127.0.0.1:<port>`; clients use `${url}/v1` as their base URL. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Queues replies for the next requests, in order; when the queue is empty the default answers. */
  enqueue(...replies: ReplySource[]): void;
  close(): Promise<void>;
}

/** The default reply: echoes the last user message, word by word. */
export const echoReply = (request: RecordedRequest): ServerReply => {
  const last = [...request.body.messages].reverse().find((m) => m.role === "user");
  return { text: `echo: ${last?.content ?? ""}` };
};

/**
 * Starts an OpenAI-compatible Chat Completions server on 127.0.0.1 (a free port) for specs and
 * benchmarks: `POST /v1/chat/completions`, whole or streamed (SSE, usage last when asked for),
 * with scripted replies (text, tool calls, HTTP errors, slow or hanging streams).
 */
export async function startOpenAIServer(
  options: { defaultReply?: ReplySource } = {},
): Promise<OpenAIServer> {
  const queue: ReplySource[] = [];
  const requests: RecordedRequest[] = [];
  const defaultReply = options.defaultReply ?? echoReply;
  const server = createServer(async (req, res) => {
    let resolveDone: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    let body: ChatRequestBody;
    try {
      body = JSON.parse(await readBody(req)) as ChatRequestBody;
    } catch {
      sendJson(res, 400, { error: { message: "Body is not JSON", type: "invalid_request_error" } });
      return;
    }
    const recorded: RecordedRequest = {
      method: req.method ?? "",
      path: req.url ?? "",
      headers: req.headers,
      body,
      clientClosed: false,
      done,
    };
    requests.push(recorded);
    res.on("close", () => {
      if (!res.writableFinished) recorded.clientClosed = true;
      resolveDone();
    });
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
      sendJson(res, 404, { error: { message: `No route ${req.method} ${req.url}` } });
      return;
    }
    const source = queue.shift() ?? defaultReply;
    const reply = typeof source === "function" ? source(recorded) : source;
    await answer(res, recorded, reply);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...replies) => {
      queue.push(...replies);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

async function answer(res: ServerResponse, request: RecordedRequest, reply: ServerReply) {
  if (reply.silent) return;
  if (reply.drop) {
    res.socket?.destroy();
    return;
  }
  if (reply.status !== undefined && reply.status >= 400) {
    const retryable = reply.status === 429 || reply.status >= 500;
    const asked = Object.keys(reply.headers ?? {}).some((h) => /^retry-after/i.test(h));
    const headers = { ...(retryable && !asked ? { "retry-after-ms": "1" } : {}), ...reply.headers };
    if (reply.errorText !== undefined) {
      res.writeHead(reply.status, { "content-type": "text/plain", ...headers });
      res.end(reply.errorText);
      return;
    }
    const body = reply.errorBody ?? {
      error: { message: reply.error ?? `Error ${reply.status}`, type: "server_error", code: null },
    };
    sendJson(res, reply.status, body, headers);
    return;
  }
  const invalid = strictViolation(request.body);
  if (invalid !== undefined) {
    sendJson(res, 400, {
      error: { message: invalid, type: "invalid_request_error", param: null, code: null },
    });
    return;
  }
  const id = `chatcmpl-${requestNumber++}`;
  const model = request.body.model ?? "test-model";
  const chunks = typeof reply.text === "string" ? words(reply.text) : (reply.text ?? []);
  const calls = (reply.toolCalls ?? []).map((c, i) => ({ ...c, id: c.id ?? `call_${id}_${i}` }));
  const usage =
    reply.usage === null
      ? undefined
      : (reply.usage ?? { prompt_tokens: promptWords(request), completion_tokens: chunks.length });
  const fullUsage = usage && {
    ...usage,
    total_tokens: usage.prompt_tokens + usage.completion_tokens,
  };
  const finish = calls.length > 0 ? "tool_calls" : "stop";

  if (request.body.stream !== true) {
    if (reply.events !== undefined) {
      sendJson(res, 200, reply.events[0] ?? {});
      return;
    }
    if (reply.dropAfter !== undefined) {
      // Headers and the start of the body, then the connection breaks.
      res.writeHead(200, { "content-type": "application/json" });
      await new Promise<void>((resolve) => res.write('{"id":', () => resolve()));
      res.socket?.destroy();
      return;
    }
    const toolCalls = calls.map((c) => ({
      id: c.id,
      type: "function",
      function: { name: c.name, arguments: c.arguments },
    }));
    const message = {
      role: "assistant",
      content: chunks.length > 0 ? chunks.join("") : null,
      ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    };
    sendJson(res, 200, {
      id,
      object: "chat.completion",
      created: 0,
      model,
      choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
      ...(fullUsage ? { usage: fullUsage } : {}),
    });
    return;
  }

  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const send = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    res.write(
      `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created: 0, model, choices, ...extra })}\n\n`,
    );
  const delta = (d: Record<string, unknown>, finishReason: string | null = null) =>
    send([{ index: 0, delta: d, finish_reason: finishReason, logprobs: null }]);

  if (reply.events !== undefined) {
    for (const event of reply.events) {
      res.write(`data: ${typeof event === "string" ? event : JSON.stringify(event)}\n\n`);
    }
    res.end();
    return;
  }
  delta({ role: "assistant", content: "" });
  for (const [i, text] of chunks.entries()) {
    if (reply.dropAfter === i) {
      // Flushes what was written, then cuts the connection mid-body.
      await new Promise<void>((resolve) => res.write("", () => resolve()));
      res.socket?.destroy();
      return;
    }
    if (reply.delayMs) await sleep(reply.delayMs);
    if (res.destroyed) return;
    delta({ content: text });
  }
  if (reply.dropAfter !== undefined && reply.dropAfter >= chunks.length) {
    await new Promise<void>((resolve) => res.write("", () => resolve()));
    res.socket?.destroy();
    return;
  }
  if (reply.hang) return; // the client ends it
  if (reply.streamError !== undefined) {
    const error =
      typeof reply.streamError === "string"
        ? { message: reply.streamError, type: "server_error" }
        : reply.streamError;
    res.end(`data: ${JSON.stringify({ error })}\n\n`);
    return;
  }
  for (const d of toolCallDeltas(calls, reply.toolCallSplit ?? "halves")) delta({ tool_calls: d });
  delta({}, finish);
  if (fullUsage && request.body.stream_options?.include_usage) send([], { usage: fullUsage });
  res.end("data: [DONE]\n\n");
}

let requestNumber = 1;

function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(value));
}

function words(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

function promptWords(request: RecordedRequest): number {
  return request.body.messages.reduce((n, m) => n + words(m.content ?? "").length, 0);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

type ToolCallDelta = {
  index: number;
  id?: string;
  type?: string;
  function: { name?: string; arguments: string };
};

/** The streamed deltas of `calls`, split as asked (each item is one chunk's `tool_calls`). */
function toolCallDeltas(
  calls: readonly { id: string; name: string; arguments: string }[],
  split: NonNullable<ServerReply["toolCallSplit"]>,
): ToolCallDelta[][] {
  const first = (index: number, args: string): ToolCallDelta => {
    const call = calls[index] as { id: string; name: string };
    return { index, id: call.id, type: "function", function: { name: call.name, arguments: args } };
  };
  const pieces = (args: string, size: number) =>
    args === "" ? [""] : (args.match(new RegExp(`[\\s\\S]{1,${size}}`, "g")) ?? [""]);
  const out: ToolCallDelta[][] = [];
  if (split === "whole") {
    for (const [i, call] of calls.entries()) out.push([first(i, call.arguments)]);
    return out;
  }
  if (split === "interleaved") {
    const queues = calls.map((c) => pieces(c.arguments, 3));
    calls.forEach((_, i) => {
      out.push([first(i, "")]);
    });
    for (let round = 0; queues.some((q) => round < q.length); round++) {
      for (const [i, q] of queues.entries()) {
        const piece = q[round];
        if (piece !== undefined) out.push([{ index: i, function: { arguments: piece } }]);
      }
    }
    return out;
  }
  for (const [i, call] of calls.entries()) {
    const parts =
      split === "chars"
        ? pieces(call.arguments, 1)
        : [
            call.arguments.slice(0, Math.ceil(call.arguments.length / 2)),
            call.arguments.slice(Math.ceil(call.arguments.length / 2)),
          ];
    out.push([first(i, parts[0] ?? "")]);
    for (const part of parts.slice(1)) out.push([{ index: i, function: { arguments: part } }]);
  }
  return out;
}

/**
 * Checks the schemas of a request that asks for `strict: true` as OpenAI's strict mode does
 * (its documented subset of JSON Schema); the first violation, in OpenAI's words, or undefined.
 */
export function strictViolation(body: ChatRequestBody): string | undefined {
  for (const t of body.tools ?? []) {
    const fn = t.function as { name: string; strict?: boolean; parameters?: unknown };
    if (fn.strict !== true) continue;
    const problem = checkStrict(fn.parameters, [], true);
    if (problem !== undefined) {
      return `Invalid schema for function '${fn.name}': ${problem}`;
    }
  }
  const format = body.response_format?.json_schema as
    | { name: string; strict?: boolean; schema?: unknown }
    | undefined;
  if (format?.strict === true) {
    const problem = checkStrict(format.schema, [], true);
    if (problem !== undefined) {
      return `Invalid schema for response_format '${format.name}': ${problem}`;
    }
  }
  return undefined;
}

const strictKeywords = new Set([
  "type",
  "description",
  "title",
  "enum",
  "const",
  "anyOf",
  "$ref",
  "$defs",
  "definitions",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "minItems",
  "maxItems",
  "pattern",
  "format",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
]);
const strictTypes = new Set(["string", "number", "integer", "boolean", "object", "array", "null"]);

function checkStrict(schema: unknown, path: string[], root: boolean): string | undefined {
  const context = `In context=(${path.map((p) => `'${p}'`).join(", ")})`;
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) {
    return `${context}, schema must be a JSON Schema of 'type: "object"', got '${JSON.stringify(schema)}'.`;
  }
  const s = schema as Record<string, unknown>;
  if (root && s.type !== "object") {
    return `schema must be a JSON Schema of 'type: "object"', got 'type: "${String(s.type)}"'.`;
  }
  for (const key of Object.keys(s)) {
    if (!strictKeywords.has(key)) return `${context}, '${key}' is not permitted.`;
  }
  const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
  for (const t of types) {
    if (!strictTypes.has(String(t))) return `${context}, type '${String(t)}' is not supported.`;
  }
  if (
    s.type === undefined &&
    s.anyOf === undefined &&
    s.$ref === undefined &&
    s.enum === undefined &&
    s.const === undefined
  ) {
    return `${context}, schema must have a 'type' key.`;
  }
  if (types.includes("object") || s.properties !== undefined) {
    if (s.additionalProperties !== false) {
      return `${context}, 'additionalProperties' is required to be supplied and to be false.`;
    }
    const keys = Object.keys((s.properties ?? {}) as object);
    const required = Array.isArray(s.required) ? (s.required as string[]) : undefined;
    const missing = keys.filter((k) => !required?.includes(k));
    if (required === undefined || missing.length > 0) {
      return `${context}, 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing[0] ?? ""}'.`;
    }
  }
  const subs: [unknown, string[]][] = [];
  for (const [k, v] of Object.entries((s.properties ?? {}) as object)) {
    subs.push([v, [...path, "properties", k]]);
  }
  for (const key of ["$defs", "definitions"]) {
    for (const [k, v] of Object.entries((s[key] ?? {}) as object))
      subs.push([v, [...path, key, k]]);
  }
  if (s.items !== undefined) subs.push([s.items, [...path, "items"]]);
  if (Array.isArray(s.anyOf)) {
    s.anyOf.forEach((v, i) => {
      subs.push([v, [...path, "anyOf", String(i)]]);
    });
  }
  for (const [sub, at] of subs) {
    const problem = checkStrict(sub, at, false);
    if (problem !== undefined) return problem;
  }
  return undefined;
}
