import {
  AbortError,
  type ModelChunk,
  ModelError,
  ModelHTTPError,
  ModelTimeoutError,
} from "buddy-ai";
import { type OpenAIModelOptions, openai } from "buddy-ai/openai";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type OpenAIServer, startOpenAIServer } from "../support/openai-server.js";

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(() => server.close());

const model = (options: OpenAIModelOptions = {}) =>
  openai("test-model", { baseURL: `${server.url}/v1`, apiKey: "test", ...options });

const ask = { messages: [{ role: "user", content: "Hi" }], tools: [] } as const;

async function collect(chunks: AsyncIterable<ModelChunk>): Promise<ModelChunk[]> {
  const out: ModelChunk[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

const lastRequest = () => server.requests.at(-1);

describe("openai model", () => {
  it("streams text deltas in order, then usage and finish", async () => {
    server.enqueue({
      text: ["Hel", "lo ", "world"],
      usage: { prompt_tokens: 7, completion_tokens: 3 },
    });
    const chunks = await collect(model().stream(ask));
    expect(chunks).toEqual([
      { type: "text-delta", text: "Hel" },
      { type: "text-delta", text: "lo " },
      { type: "text-delta", text: "world" },
      { type: "usage", usage: { inputTokens: 7, outputTokens: 3, totalTokens: 10 } },
      { type: "finish", reason: "stop" },
    ]);
    const body = lastRequest()?.body;
    expect(body?.model).toBe("test-model");
    expect(body?.stream).toBe(true);
    expect(body?.stream_options).toEqual({ include_usage: true });
    expect(body?.messages).toEqual([{ role: "user", content: "Hi" }]);
    expect(lastRequest()?.headers.authorization).toBe("Bearer test");
  });

  it("answers whole (non-streamed) requests with the same chunks", async () => {
    server.enqueue({ text: "Whole answer", usage: { prompt_tokens: 2, completion_tokens: 2 } });
    const chunks = await collect(model({ streaming: false }).stream(ask));
    expect(chunks).toEqual([
      { type: "text-delta", text: "Whole answer" },
      { type: "usage", usage: { inputTokens: 2, outputTokens: 2, totalTokens: 4 } },
      { type: "finish", reason: "stop" },
    ]);
    expect(lastRequest()?.body.stream).toBeFalsy();
  });

  it("goes without usage when the server sends none", async () => {
    server.enqueue({ text: "No usage here", usage: null });
    const chunks = await collect(model().stream(ask));
    expect(chunks.map((c) => c.type)).toEqual(["text-delta", "text-delta", "text-delta", "finish"]);
  });

  it("assembles tool calls from streamed deltas and sends tools as functions", async () => {
    server.enqueue({
      toolCalls: [
        { id: "call_a", name: "get_weather", arguments: '{"city":"Paris"}' },
        { id: "call_b", name: "get_time", arguments: '{"zone":"Europe/Paris"}' },
      ],
    });
    const parameters = { type: "object", properties: { city: { type: "string" } } };
    const chunks = await collect(
      model().stream({
        ...ask,
        tools: [{ name: "get_weather", description: "Weather", parameters }],
      }),
    );
    expect(chunks.filter((c) => c.type === "tool-call")).toEqual([
      { type: "tool-call", id: "call_a", name: "get_weather", arguments: '{"city":"Paris"}' },
      { type: "tool-call", id: "call_b", name: "get_time", arguments: '{"zone":"Europe/Paris"}' },
    ]);
    expect(chunks.at(-1)).toEqual({ type: "finish", reason: "tool_calls" });
    expect(lastRequest()?.body.tools).toEqual([
      { type: "function", function: { name: "get_weather", description: "Weather", parameters } },
    ]);
  });

  it("sends tool calls and tool results back in Chat Completions form", async () => {
    await collect(
      model().stream({
        tools: [],
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Weather?" },
          {
            role: "assistant",
            content: null,
            toolCalls: [{ id: "c1", name: "get_weather", arguments: '{"city":"Oslo"}' }],
          },
          { role: "tool", toolCallId: "c1", content: "Snow" },
        ],
      }),
    );
    expect(lastRequest()?.body.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Weather?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "c1",
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Oslo"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "c1", content: "Snow" },
    ]);
  });

  it("asks for JSON schema output with response_format", async () => {
    const schema = { type: "object", properties: { title: { type: "string" } } };
    server.enqueue({ text: ['{"title":', '"Hi"}'] });
    await collect(model().stream({ ...ask, responseFormat: { name: "output", schema } }));
    expect(lastRequest()?.body.response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "output", schema },
    });
  });

  it("sends request defaults and extra body fields", async () => {
    const m = model({
      temperature: 0.2,
      topP: 0.9,
      maxTokens: 64,
      seed: 7,
      stop: ["END"],
      extraBody: { top_k: 5 },
    });
    await collect(m.stream(ask));
    expect(lastRequest()?.body).toMatchObject({
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 64,
      seed: 7,
      stop: ["END"],
      top_k: 5,
    });
  });

  it("retries a 429 after its retry-after-ms, then succeeds", async () => {
    const before = server.requests.length;
    server.enqueue({ status: 429, error: "Rate limit reached" }, { text: "Recovered" });
    const chunks = await collect(model().stream(ask));
    expect(chunks[0]).toEqual({ type: "text-delta", text: "Recovered" });
    expect(server.requests.length - before).toBe(2);
  });

  it("gives up on 5xx after maxRetries with ModelHTTPError", async () => {
    const before = server.requests.length;
    server.enqueue(...Array.from({ length: 2 }, () => ({ status: 500, error: "Boom" })));
    const error = await collect(model({ maxRetries: 1 }).stream(ask)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelHTTPError);
    expect((error as ModelHTTPError).status).toBe(500);
    expect(server.requests.length - before).toBe(2);
  });

  it("retries a dropped connection, then succeeds", async () => {
    const before = server.requests.length;
    server.enqueue({ drop: true }, { text: "Back" });
    const chunks = await collect(model({ retryDelay: 1 }).stream(ask));
    expect(chunks[0]).toEqual({ type: "text-delta", text: "Back" });
    expect(server.requests.length - before).toBe(2);
  });

  it("an error event in the middle of the stream rejects with ModelError", async () => {
    server.enqueue({ text: ["Half "], streamError: "Upstream overloaded" });
    const seen: ModelChunk[] = [];
    const error = await (async () => {
      for await (const c of model().stream(ask)) seen.push(c);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([{ type: "text-delta", text: "Half " }]);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as Error).message).toContain("Upstream overloaded");
  });

  it("rejects a 401 at once with ModelHTTPError carrying status and message", async () => {
    const before = server.requests.length;
    server.enqueue({ status: 401, error: "Incorrect API key provided" });
    const error = await collect(model().stream(ask)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelHTTPError);
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ status: 401, modelId: "test-model", name: "ModelHTTPError" });
    expect((error as Error).message).toContain("Incorrect API key provided");
    expect((error as Error).message).toContain("OPENAI_API_KEY");
    expect((error as ModelHTTPError).body).toMatchObject({ message: "Incorrect API key provided" });
    expect(server.requests.length - before).toBe(1);
  });

  it("aborting mid-stream rejects with AbortError and closes the HTTP request", async () => {
    server.enqueue({ text: ["first ", "second "], hang: true });
    const controller = new AbortController();
    const seen: string[] = [];
    const error = await (async () => {
      for await (const chunk of model().stream({ ...ask, signal: controller.signal })) {
        if (chunk.type === "text-delta") seen.push(chunk.text);
        if (seen.length === 2) controller.abort(new Error("user went away"));
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect((error as AbortError).cause).toEqual(new Error("user went away"));
    expect(seen).toEqual(["first ", "second "]);
    const request = lastRequest();
    await request?.done;
    expect(request?.clientClosed).toBe(true);
  });

  it("stopping the iteration early closes the HTTP request", async () => {
    server.enqueue({ text: ["one ", "two "], hang: true });
    for await (const chunk of model().stream(ask)) {
      if (chunk.type === "text-delta") break;
    }
    const request = lastRequest();
    await request?.done;
    expect(request?.clientClosed).toBe(true);
  });

  it("an already aborted signal rejects with AbortError", async () => {
    const error = await collect(model().stream({ ...ask, signal: AbortSignal.abort() })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AbortError);
  });

  it("times out with ModelTimeoutError when the server stays silent", async () => {
    server.enqueue({ silent: true });
    const error = await collect(model({ timeout: 50, maxRetries: 0 }).stream(ask)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ModelTimeoutError);
    expect((error as Error).message).toContain("timeout");
  });

  it("reports an unreachable server as ModelError", async () => {
    const gone = await startOpenAIServer();
    const url = gone.url;
    await gone.close();
    const m = openai("test-model", { baseURL: `${url}/v1`, apiKey: "test", maxRetries: 0 });
    const error = await collect(m.stream(ask)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as Error).message).toContain("Could not reach");
  });

  it("without an API key anywhere, fails with ModelError saying what to set", async () => {
    vi.stubEnv("OPENAI_API_KEY", "");
    vi.stubEnv("OPENAI_BASE_URL", "");
    try {
      const error = await collect(openai("gpt-4o-mini").stream(ask)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelError);
      expect((error as Error).message).toContain("OPENAI_API_KEY");
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("reads OPENAI_BASE_URL and OPENAI_API_KEY from the environment", async () => {
    vi.stubEnv("OPENAI_API_KEY", "from-env");
    vi.stubEnv("OPENAI_BASE_URL", `${server.url}/v1`);
    try {
      server.enqueue({ text: "env" });
      const chunks = await collect(openai("env-model").stream(ask));
      expect(chunks[0]).toEqual({ type: "text-delta", text: "env" });
      expect(lastRequest()?.headers.authorization).toBe("Bearer from-env");
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
