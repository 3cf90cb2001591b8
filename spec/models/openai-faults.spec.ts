import {
  AbortError,
  type ModelChunk,
  ModelError,
  ModelHTTPError,
  ModelTimeoutError,
} from "buddy-ai";
import { ModelStreamError, type OpenAIModelOptions, openai } from "buddy-ai/openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openaiDefaults } from "../../lib/models/openai-model.js";
import { type OpenAIServer, startOpenAIServer } from "../support/openai-server.js";

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(() => server.close());

const model = (options: OpenAIModelOptions = {}) =>
  openai("test-model", {
    baseURL: `${server.url}/v1`,
    apiKey: "test",
    retryDelay: 1,
    ...options,
  });

const ask = { messages: [{ role: "user", content: "Hi" }], tools: [] } as const;

/** Every chunk until the call ends, and how it ended. */
async function call(chunks: AsyncIterable<ModelChunk>) {
  const seen: ModelChunk[] = [];
  const error = await (async () => {
    for await (const chunk of chunks) seen.push(chunk);
  })().catch((e: unknown) => e);
  return { seen, error, text: seen.map((c) => (c.type === "text-delta" ? c.text : "")).join("") };
}

/** Runs `fn`, returning how many requests the server got meanwhile. */
async function counting<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const before = server.requests.length;
  const result = await fn();
  return [result, server.requests.length - before];
}

const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i} `);

describe("openai model: a connection that drops mid-stream", () => {
  it("after 20 deltas: ModelStreamError naming server, model and count; not retried", async () => {
    server.enqueue({ text: words(25), dropAfter: 20 });
    const [{ seen, error }, requests] = await counting(() => call(model().stream(ask)));
    expect(seen).toHaveLength(20);
    expect(error).toBeInstanceOf(ModelStreamError);
    expect(error).toBeInstanceOf(ModelError);
    const e = error as ModelStreamError;
    expect(e.name).toBe("ModelStreamError");
    expect(e.message).toContain(`Model "test-model" at ${server.url}/v1`);
    expect(e.message).toContain("closed the connection mid-answer after 20 deltas");
    expect(e.message).toContain("not retried: 20 deltas were already streamed");
    expect(e).toMatchObject({
      failure: "dropped",
      deltas: 20,
      partialText: words(20).join(""),
      modelId: "test-model",
      baseURL: `${server.url}/v1`,
      attempts: 1,
      status: undefined,
    });
    expect(e.cause).toBeInstanceOf(Error);
    expect(requests).toBe(1);
  });

  it("before the first delta: retried, then the answer streams", async () => {
    server.enqueue({ text: words(3), dropAfter: 0 }, { text: "Second try" });
    const [{ text, error }, requests] = await counting(() => call(model().stream(ask)));
    expect(error).toBeUndefined();
    expect(text).toBe("Second try");
    expect(requests).toBe(2);
  });

  it("before the first delta every time: fails after maxRetries with the attempts counted", async () => {
    server.enqueue(...Array.from({ length: 2 }, () => ({ text: words(3), dropAfter: 0 })));
    const [{ error }, requests] = await counting(() => call(model({ maxRetries: 1 }).stream(ask)));
    expect(error).toBeInstanceOf(ModelStreamError);
    expect(error).toMatchObject({ failure: "dropped", deltas: 0, attempts: 2 });
    expect((error as Error).message).toContain("closed the connection before the first delta");
    expect((error as Error).message).toContain("after 2 attempts");
    expect(requests).toBe(2);
  });

  it("a whole (non-streamed) answer cut off after its headers is retried", async () => {
    server.enqueue({ text: "lost", dropAfter: 0 }, { text: "Whole again" });
    const [{ text, error }, requests] = await counting(() =>
      call(model({ streaming: false }).stream(ask)),
    );
    expect(error).toBeUndefined();
    expect(text).toBe("Whole again");
    expect(requests).toBe(2);
  });

  it("a stream that ends without a finish reason is cut off, not a success", async () => {
    const chunk = (content: string) => ({
      id: "c1",
      object: "chat.completion.chunk",
      choices: [{ index: 0, delta: { content }, finish_reason: null }],
    });
    server.enqueue({ events: [chunk("Once "), chunk("upon ")] });
    const [{ error, text }, requests] = await counting(() => call(model().stream(ask)));
    expect(text).toBe("Once upon ");
    expect(error).toBeInstanceOf(ModelStreamError);
    expect(error).toMatchObject({ failure: "dropped", deltas: 2, partialText: "Once upon " });
    expect((error as Error).message).toContain("closed the stream mid-answer after 2 deltas");
    expect(requests).toBe(1);
  });
});

describe("openai model: an error inside the stream", () => {
  it("a rate limit before the first delta keeps code and type, maps to 429, and is retried", async () => {
    const rateLimit = {
      message: "Rate limit reached for requests",
      type: "requests",
      code: "rate_limit_exceeded",
    };
    server.enqueue({ streamError: rateLimit }, { text: "After the limit" });
    const [{ text }, requests] = await counting(() => call(model().stream(ask)));
    expect(text).toBe("After the limit");
    expect(requests).toBe(2);

    server.enqueue({ streamError: rateLimit });
    const [{ error }, once] = await counting(() => call(model({ maxRetries: 0 }).stream(ask)));
    expect(error).toBeInstanceOf(ModelStreamError);
    expect(error).toMatchObject({
      failure: "error-event",
      status: 429,
      code: "rate_limit_exceeded",
      type: "requests",
      deltas: 0,
      attempts: 1,
    });
    expect((error as Error).message).toBe(
      `Model "test-model" at ${server.url}/v1 sent an error inside the stream before the first delta: Rate limit reached for requests (code "rate_limit_exceeded", type "requests") (\`maxRetries\`: 0)`,
    );
    expect(once).toBe(1);
  });

  it("after the first delta it is not retried; the streamed text is on the error", async () => {
    server.enqueue({
      text: ["Half "],
      streamError: { message: "Upstream overloaded", type: "server_error", code: "503" },
    });
    const [{ seen, error }, requests] = await counting(() => call(model().stream(ask)));
    expect(seen).toEqual([{ type: "text-delta", text: "Half " }]);
    expect(error).toBeInstanceOf(ModelStreamError);
    expect(error).toMatchObject({
      failure: "error-event",
      status: 503,
      code: "503",
      type: "server_error",
      deltas: 1,
      partialText: "Half ",
    });
    expect((error as Error).message).toContain("mid-answer after 1 deltas: Upstream overloaded");
    expect((error as Error).message).toContain("not retried");
    expect(requests).toBe(1);
  });

  it("a vLLM-style error object (no choices) is an error, never an empty success", async () => {
    const vllm = {
      object: "error",
      message: "This model's maximum context length is 4096 tokens",
      type: "BadRequestError",
      param: null,
      code: 400,
    };
    server.enqueue({ events: [vllm] });
    const [{ seen, error }, requests] = await counting(() => call(model().stream(ask)));
    expect(seen).toEqual([]);
    expect(error).toBeInstanceOf(ModelStreamError);
    expect(error).toMatchObject({
      failure: "error-event",
      status: 400,
      code: 400,
      type: "BadRequestError",
    });
    expect((error as Error).message).toContain("maximum context length is 4096 tokens");
    expect(requests).toBe(1);
  });

  it("an event without choices is a malformed stream that shows the event", async () => {
    server.enqueue({ events: [{ id: "x", result: "not a chat chunk" }] });
    const [{ error }, requests] = await counting(() => call(model().stream(ask)));
    expect(error).toBeInstanceOf(ModelStreamError);
    expect(error).toMatchObject({
      failure: "malformed",
      firstEvent: '{"id":"x","result":"not a chat chunk"}',
    });
    expect((error as Error).message).toContain(
      'not a chat completion chunk (no `choices`): {"id":"x","result":"not a chat chunk"}',
    );
    expect(requests).toBe(1);
  });

  it("an event that is not JSON is a malformed stream", async () => {
    server.enqueue({ events: ["<html>Gateway error</html>"] });
    const { error } = await call(model().stream(ask));
    expect(error).toBeInstanceOf(ModelStreamError);
    expect(error).toMatchObject({ failure: "malformed", attempts: 1 });
    expect((error as Error).message).toContain("sent an event that is not JSON");
  });

  it("an empty stream is an error that says nothing came", async () => {
    server.enqueue({ events: [] });
    const { error } = await call(model({ maxRetries: 0 }).stream(ask));
    expect(error).toBeInstanceOf(ModelStreamError);
    expect((error as Error).message).toContain("ended the stream without an answer (no events)");
  });

  it("a whole (non-streamed) answer that is an error object is an error too", async () => {
    server.enqueue({ events: [{ object: "error", message: "Model is loading", code: 503 }] });
    const [{ error }, requests] = await counting(() =>
      call(model({ streaming: false, maxRetries: 0 }).stream(ask)),
    );
    expect(error).toBeInstanceOf(ModelStreamError);
    expect(error).toMatchObject({ failure: "error-event", status: 503 });
    expect((error as Error).message).toContain("Model is loading");
    expect(requests).toBe(1);
  });
});

describe("openai model: a whole answer without a choice", () => {
  it("is an error showing what came, never an empty success", async () => {
    server.enqueue({ events: [{ id: "c1", object: "chat.completion", choices: [] }] });
    const { seen, error } = await call(model({ streaming: false, maxRetries: 0 }).stream(ask));
    expect(seen).toEqual([]);
    expect(error).toBeInstanceOf(ModelStreamError);
    expect((error as Error).message).toContain(
      'without an answer (first event: {"id":"c1","object":"chat.completion","choices":[]})',
    );
  });
});

describe("openai model: HTTP errors whose body is not OpenAI's shape", () => {
  it("a vLLM body ({ message }) keeps the server's message and body", async () => {
    const body = {
      object: "error",
      message: "max_tokens must be at least 1, got -1.",
      type: "BadRequestError",
      param: null,
      code: 400,
    };
    server.enqueue({ status: 400, errorBody: body });
    const { error } = await call(model().stream(ask));
    expect(error).toBeInstanceOf(ModelHTTPError);
    expect(error).toMatchObject({ status: 400, body, attempts: 1 });
    expect((error as Error).message).toContain(
      "answered HTTP 400: max_tokens must be at least 1, got -1.",
    );
    expect((error as Error).message).not.toContain("no body");
  });

  it("a FastAPI body ({ detail }) keeps the detail, as text when it is a list", async () => {
    server.enqueue({ status: 404, errorBody: { detail: "Not Found" } });
    const notFound = await call(model().stream(ask));
    expect(notFound.error).toMatchObject({ status: 404, body: { detail: "Not Found" } });
    expect((notFound.error as Error).message).toContain("answered HTTP 404: Not Found");

    const detail = [{ loc: ["body", "messages"], msg: "field required", type: "missing" }];
    server.enqueue({ status: 422, errorBody: { detail } });
    const invalid = await call(model().stream(ask));
    expect(invalid.error).toBeInstanceOf(ModelHTTPError);
    expect((invalid.error as Error).message).toContain("field required");
  });

  it("a plain-text body is kept as the message", async () => {
    server.enqueue({ status: 502, errorText: "Bad gateway: upstream unreachable" });
    const { error } = await call(model({ maxRetries: 0 }).stream(ask));
    expect(error).toMatchObject({ status: 502, body: "Bad gateway: upstream unreachable" });
    expect((error as Error).message).toContain(
      "answered HTTP 502: Bad gateway: upstream unreachable",
    );
  });
});

describe("openai model: retries", () => {
  it("a 429 with Retry-After: 1 waits a second, then succeeds", async () => {
    server.enqueue(
      { status: 429, error: "Slow down", headers: { "retry-after": "1" } },
      { text: "Done" },
    );
    const started = performance.now();
    const [{ text }, requests] = await counting(() => call(model().stream(ask)));
    expect(text).toBe("Done");
    expect(requests).toBe(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
  });

  it("a Retry-After longer than maxRetryDelay fails at once, saying so", async () => {
    server.enqueue({ status: 429, error: "Quota window", headers: { "retry-after": "120" } });
    const [{ error }, requests] = await counting(() => call(model().stream(ask)));
    expect(error).toBeInstanceOf(ModelHTTPError);
    expect(error).toMatchObject({ status: 429, attempts: 1 });
    expect((error as Error).message).toContain("Quota window");
    expect((error as Error).message).toContain(
      "the server asked to retry after 120 s, more than `maxRetryDelay` (60000 ms)",
    );
    expect(requests).toBe(1);
  });

  it("5xx is retried maxRetries times; the error counts the attempts", async () => {
    server.enqueue(...Array.from({ length: 3 }, () => ({ status: 503, error: "Overloaded" })));
    const [{ error }, requests] = await counting(() => call(model().stream(ask)));
    expect(error).toBeInstanceOf(ModelHTTPError);
    expect(error).toMatchObject({ status: 503, attempts: 3 });
    expect((error as Error).message).toContain("after 3 attempts; `maxRetries`: 2");
    expect(requests).toBe(3);
  });

  it("x-should-retry: false is obeyed", async () => {
    server.enqueue({ status: 500, error: "Final", headers: { "x-should-retry": "false" } });
    const [{ error }, requests] = await counting(() => call(model().stream(ask)));
    expect(error).toMatchObject({ status: 500, attempts: 1 });
    expect(requests).toBe(1);
  });

  it("a 400 is not retried", async () => {
    server.enqueue({ status: 400, error: "Bad request" });
    const [{ error }, requests] = await counting(() => call(model().stream(ask)));
    expect(error).toMatchObject({ status: 400, attempts: 1 });
    expect(requests).toBe(1);
  });

  it("aborting during the backoff rejects with AbortError at once", async () => {
    server.enqueue({ status: 503, error: "Busy", headers: { "retry-after": "30" } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("user left")), 100);
    const started = performance.now();
    const { error } = await call(model().stream({ ...ask, signal: controller.signal }));
    expect(error).toBeInstanceOf(AbortError);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe("openai model: timeouts", () => {
  it("defaults suit an agent: 60 s to respond, 120 s between chunks, 2 retries", () => {
    expect(openaiDefaults).toMatchObject({
      timeout: 60_000,
      wholeTimeout: 300_000,
      idleTimeout: 120_000,
      maxRetries: 2,
      maxRetryDelay: 60_000,
    });
  });

  it("a server that accepts and never answers fails within timeout × attempts", async () => {
    server.enqueue({ silent: true }, { silent: true });
    const started = performance.now();
    const [{ error }, requests] = await counting(() =>
      call(model({ timeout: 150, maxRetries: 1 }).stream(ask)),
    );
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(ModelTimeoutError);
    expect(error).toMatchObject({ phase: "request", timeoutMs: 150, attempts: 2 });
    expect((error as Error).message).toContain("did not answer within 150 ms (`timeout`)");
    expect(requests).toBe(2);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1_500);
  });

  it("a whole (non-streamed) call is bounded by timeout as well", async () => {
    server.enqueue({ silent: true });
    const started = performance.now();
    const { error } = await call(
      model({ streaming: false, timeout: 150, maxRetries: 0 }).stream(ask),
    );
    expect(error).toBeInstanceOf(ModelTimeoutError);
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it("a stream that goes silent mid-answer fails after idleTimeout, not retried", async () => {
    server.enqueue({ text: ["first ", "second "], hang: true });
    const started = performance.now();
    const [{ error, text }, requests] = await counting(() =>
      call(model({ idleTimeout: 200 }).stream(ask)),
    );
    expect(text).toBe("first second ");
    expect(error).toBeInstanceOf(ModelTimeoutError);
    expect(error).toMatchObject({ phase: "idle", timeoutMs: 200, attempts: 1 });
    expect((error as Error).message).toContain(
      "sent nothing for 200 ms mid-answer after 2 deltas (`idleTimeout`)",
    );
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(requests).toBe(1);
    const request = server.requests.at(-1);
    await request?.done;
    expect(request?.clientClosed).toBe(true);
  });

  it("a stream silent before its first delta is retried", async () => {
    server.enqueue({ text: [], hang: true }, { text: "Awake" });
    const [{ text, error }, requests] = await counting(() =>
      call(model({ idleTimeout: 150 }).stream(ask)),
    );
    expect(error).toBeUndefined();
    expect(text).toBe("Awake");
    expect(requests).toBe(2);
  });

  it("a slow consumer is not a silent server", async () => {
    server.enqueue({ text: words(3) });
    const seen: string[] = [];
    for await (const chunk of model({ idleTimeout: 100 }).stream(ask)) {
      if (chunk.type === "text-delta") seen.push(chunk.text);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(seen).toEqual(words(3));
  });

  it("a steady stream slower in total than idleTimeout is fine", async () => {
    server.enqueue({ text: words(6), delayMs: 60 });
    const { error, text } = await call(model({ idleTimeout: 150 }).stream(ask));
    expect(error).toBeUndefined();
    expect(text).toBe(words(6).join(""));
  });
});

describe("openai model: streamed tool calls, split differently by different servers", () => {
  const calls = [
    { id: "call_a", name: "get_weather", arguments: '{"city":"Paris","unit":"c"}' },
    { id: "call_b", name: "get_time", arguments: '{"zone":"Europe/Paris"}' },
    { id: "call_c", name: "noop", arguments: "" },
  ];
  it("assembles them from a server that sends no index (a new id starts a new call)", async () => {
    const chunk = (toolCall: Record<string, unknown>, finish: string | null = null) => ({
      id: "c1",
      object: "chat.completion.chunk",
      choices: [{ index: 0, delta: { tool_calls: [toolCall] }, finish_reason: finish }],
    });
    server.enqueue({
      events: [
        chunk({ id: "call_1", type: "function", function: { name: "a", arguments: '{"x"' } }),
        chunk({ function: { arguments: ":1}" } }),
        chunk({ id: "call_2", type: "function", function: { name: "b", arguments: "{}" } }),
        {
          id: "c1",
          object: "chat.completion.chunk",
          choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }],
        },
      ],
    });
    const { seen, error } = await call(model().stream(ask));
    expect(error).toBeUndefined();
    expect(seen.filter((c) => c.type === "tool-call")).toEqual([
      { type: "tool-call", id: "call_1", name: "a", arguments: '{"x":1}' },
      { type: "tool-call", id: "call_2", name: "b", arguments: "{}" },
    ]);
  });

  for (const split of ["whole", "halves", "chars", "interleaved"] as const) {
    it(`assembles them when arguments come ${split}`, async () => {
      server.enqueue({ toolCalls: calls, toolCallSplit: split });
      const { seen, error } = await call(model().stream(ask));
      expect(error).toBeUndefined();
      expect(seen.filter((c) => c.type === "tool-call")).toEqual(
        calls.map((c) => ({ type: "tool-call", ...c })),
      );
      expect(seen.at(-1)).toEqual({ type: "finish", reason: "tool_calls" });
    });
  }
});
