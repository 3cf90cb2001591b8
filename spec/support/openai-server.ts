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
  /** After the text chunks, send this error as an SSE event instead of finishing. */
  readonly streamError?: string;
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
    sendJson(
      res,
      reply.status,
      {
        error: {
          message: reply.error ?? `Error ${reply.status}`,
          type: "server_error",
          code: null,
        },
      },
      { ...(retryable ? { "retry-after-ms": "1" } : {}), ...reply.headers },
    );
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

  delta({ role: "assistant", content: "" });
  for (const text of chunks) {
    if (reply.delayMs) await sleep(reply.delayMs);
    if (res.destroyed) return;
    delta({ content: text });
  }
  if (reply.hang) return; // the client ends it
  if (reply.streamError !== undefined) {
    res.end(
      `data: ${JSON.stringify({ error: { message: reply.streamError, type: "server_error" } })}\n\n`,
    );
    return;
  }
  for (const [index, call] of calls.entries()) {
    const half = Math.ceil(call.arguments.length / 2);
    delta({
      tool_calls: [
        {
          index,
          id: call.id,
          type: "function",
          function: { name: call.name, arguments: call.arguments.slice(0, half) },
        },
      ],
    });
    delta({ tool_calls: [{ index, function: { arguments: call.arguments.slice(half) } }] });
  }
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
