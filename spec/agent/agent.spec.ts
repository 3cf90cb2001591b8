import {
  AbortError,
  AgentConfigError,
  type AgentEvent,
  agent,
  ModelHTTPError,
  OutputValidationError,
  type RunMetrics,
  ToolLoopLimitError,
  tool,
} from "buddy-ai";
import { openai } from "buddy-ai/openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  type OpenAIServer,
  type RecordedRequest,
  startOpenAIServer,
} from "../support/openai-server.js";

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(() => server.close());

const model = () => openai("test-model", { baseURL: `${server.url}/v1`, apiKey: "test" });

async function collect(events: AsyncIterable<AgentEvent>): Promise<AgentEvent[]> {
  const out: AgentEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

const weather = tool({
  name: "get_weather",
  description: "Current weather in a city",
  parameters: z.object({ city: z.string() }),
  execute: ({ city }) => ({ city, sky: city === "Paris" ? "sunny" : "rainy" }),
});

describe("agent over the openai model", () => {
  it("run() resolves the answer with messages and token usage", async () => {
    server.enqueue({ text: "Hello there.", usage: { prompt_tokens: 11, completion_tokens: 3 } });
    const greeter = agent({ name: "greeter", model: model() });
    const response = await greeter.run("Say hello");
    expect(response.content).toBe("Hello there.");
    expect(response.status).toBe("completed");
    expect(response.contentType).toBe("str");
    expect(response.messages).toEqual([
      { role: "user", content: "Say hello" },
      { role: "assistant", content: "Hello there." },
    ]);
    expect(response.metrics).toMatchObject({ inputTokens: 11, outputTokens: 3, totalTokens: 14 });
    expect(response.metrics.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("stream() emits RunStarted, token deltas in order, then RunCompleted with the response", async () => {
    server.enqueue({ text: ["The ", "quick ", "fox."] });
    const writer = agent({ name: "writer", model: model() });
    const events = await collect(writer.stream("Write"));
    expect(events.map((e) => e.event)).toEqual([
      "RunStarted",
      "RunResponseContent",
      "RunResponseContent",
      "RunResponseContent",
      "RunCompleted",
    ]);
    const deltas = events.flatMap((e) => (e.event === "RunResponseContent" ? [e.content] : []));
    expect(deltas).toEqual(["The ", "quick ", "fox."]);
    const [started] = events;
    expect(started).toMatchObject({
      agentName: "writer",
      model: "test-model",
      sessionId: "",
      workflowId: "",
    });
    expect(new Set(events.map((e) => e.runId)).size).toBe(1);
    expect(events.every((e) => "agentName" in e && e.agentName === "writer")).toBe(true);
    const completed = events.at(-1);
    if (completed?.event !== "RunCompleted") throw new Error("expected RunCompleted last");
    expect(completed.content).toBe("The quick fox.");
    expect(completed.response.runId).toBe(started?.runId);
    expect(completed.response.content).toBe("The quick fox.");
  });

  it("is cold: nothing is requested until the stream is iterated", async () => {
    const before = server.requests.length;
    const stream = agent({ model: model() }).stream("Not yet");
    expect(server.requests.length).toBe(before);
    await collect(stream);
    expect(server.requests.length).toBe(before + 1);
  });

  it("sends instructions first and prior messages before the prompt", async () => {
    const chat = agent({ model: model(), instructions: "Answer in French." });
    const first = await chat.run("Hello");
    const second = await chat.run("Again", { messages: first.messages });
    expect(server.requests.at(-1)?.body.messages).toEqual([
      { role: "system", content: "Answer in French." },
      { role: "user", content: "Hello" },
      { role: "assistant", content: "echo: Hello" },
      { role: "user", content: "Again" },
    ]);
    expect(second.messages.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant"]);
  });

  it("runs a tool loop: a valid call is executed, an invalid one goes back to the model", async () => {
    server.enqueue(
      {
        toolCalls: [
          { id: "ok", name: "get_weather", arguments: '{"city":"Paris"}' },
          { id: "bad", name: "get_weather", arguments: '{"town":"Oslo"}' },
        ],
        usage: { prompt_tokens: 20, completion_tokens: 10 },
      },
      { text: "Sunny in Paris.", usage: { prompt_tokens: 40, completion_tokens: 5 } },
    );
    const assistant = agent({ name: "assistant", model: model(), tools: [weather] });
    const events = await collect(assistant.stream("Weather in Paris and Oslo?"));
    expect(events.map((e) => e.event)).toEqual([
      "RunStarted",
      "ToolCallStarted",
      "ToolCallStarted",
      "ToolCallCompleted",
      "ToolCallCompleted",
      "RunResponseContent",
      "RunResponseContent",
      "RunResponseContent",
      "RunCompleted",
    ]);
    const [okDone, badDone] = events.filter((e) => e.event === "ToolCallCompleted");
    expect(okDone).toMatchObject({
      toolCallId: "ok",
      toolName: "get_weather",
      isError: false,
      result: { city: "Paris", sky: "sunny" },
    });
    expect(badDone).toMatchObject({ toolCallId: "bad", isError: true });
    expect(String((badDone as { result: unknown }).result)).toContain("arguments.city");
    expect(events[1]).toMatchObject({ toolCallId: "ok", args: { city: "Paris" } });

    const second = server.requests.at(-1)?.body;
    expect(second?.tools?.[0]?.function.parameters).toEqual({
      type: "object",
      properties: { city: { type: "string" } },
      required: ["city"],
    });
    const toolMessages = second?.messages.filter((m) => m.role === "tool");
    expect(toolMessages?.[0]).toEqual({
      role: "tool",
      tool_call_id: "ok",
      content: '{"city":"Paris","sky":"sunny"}',
    });
    expect(toolMessages?.[1]?.tool_call_id).toBe("bad");
    expect(toolMessages?.[1]?.content).toContain('Invalid arguments for tool "get_weather"');

    const completed = events.at(-1);
    if (completed?.event !== "RunCompleted") throw new Error("expected RunCompleted last");
    expect(completed.response.content).toBe("Sunny in Paris.");
    expect(completed.response.metrics).toMatchObject({
      inputTokens: 60,
      outputTokens: 15,
      totalTokens: 75,
    });
  });

  it("returns structured output as the parsed, validated value", async () => {
    const Article = z.object({ title: z.string(), words: z.number().int() });
    server.enqueue({ text: ['{"title":"On SQLite",', '"words":800}'] });
    const planner = agent({ model: model(), output: Article });
    const response = await planner.run("Plan an article");
    expect(response.content).toEqual({ title: "On SQLite", words: 800 });
    expect(response.contentType).toBe("json");
    const format = server.requests.at(-1)?.body.response_format;
    expect(format?.type).toBe("json_schema");
    expect(format?.json_schema?.schema).toMatchObject({
      type: "object",
      required: ["title", "words"],
    });
  });

  it("rejects structured output that fails the schema with OutputValidationError", async () => {
    server.enqueue({ text: '{"title": 42}' });
    const planner = agent({
      name: "planner",
      model: model(),
      output: z.object({ title: z.string() }),
    });
    const events: AgentEvent[] = [];
    const error = await (async () => {
      for await (const e of planner.stream("Plan")) events.push(e);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputValidationError);
    expect((error as OutputValidationError).issues[0]?.path).toEqual(["title"]);
    expect((error as OutputValidationError).text).toBe('{"title": 42}');
    expect((error as Error).message).toContain("output.title");
    expect(events.at(-1)).toMatchObject({
      event: "RunError",
      errorName: "OutputValidationError",
      agentName: "planner",
    });
  });

  it("rejects an answer that is not JSON with OutputValidationError", async () => {
    server.enqueue({ text: "Sorry, no JSON today" });
    const planner = agent({ model: model(), output: z.object({ title: z.string() }) });
    await expect(planner.run("Plan")).rejects.toThrow(OutputValidationError);
  });

  it("retries a 429, then answers", async () => {
    const before = server.requests.length;
    server.enqueue({ status: 429, error: "Slow down" }, { text: "Made it." });
    const response = await agent({ model: model() }).run("Hi");
    expect(response.content).toBe("Made it.");
    expect(server.requests.length - before).toBe(2);
  });

  it("a 401 ends the stream with RunError, then rejects with ModelHTTPError", async () => {
    server.enqueue({ status: 401, error: "Incorrect API key provided" });
    const events: AgentEvent[] = [];
    const error = await (async () => {
      for await (const e of agent({ name: "a", model: model() }).stream("Hi")) events.push(e);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelHTTPError);
    expect((error as ModelHTTPError).status).toBe(401);
    expect(events.map((e) => e.event)).toEqual(["RunStarted", "RunError"]);
    expect(events[1]).toMatchObject({
      errorName: "ModelHTTPError",
      error: (error as Error).message,
    });
  });

  it("aborting the signal mid-stream closes the HTTP request and rejects with AbortError", async () => {
    server.enqueue({ text: ["Once ", "upon "], hang: true });
    const controller = new AbortController();
    const events: AgentEvent[] = [];
    const error = await (async () => {
      for await (const e of agent({ model: model() }).stream("Tell", {
        signal: controller.signal,
      })) {
        events.push(e);
        if (e.event === "RunResponseContent") controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(events.at(-1)).toMatchObject({ event: "RunError", errorName: "AbortError" });
    const request = server.requests.at(-1);
    await request?.done;
    expect(request?.clientClosed).toBe(true);
  });

  it("breaking out of the stream closes the HTTP request", async () => {
    server.enqueue({ text: ["a ", "b "], hang: true });
    for await (const e of agent({ model: model() }).stream("Go")) {
      if (e.event === "RunResponseContent") break;
    }
    const request = server.requests.at(-1);
    await request?.done;
    expect(request?.clientClosed).toBe(true);
  });

  it("reports summed usage once through recordUsage, under the agent run's id", async () => {
    server.enqueue(
      {
        toolCalls: [{ name: "get_weather", arguments: '{"city":"Paris"}' }],
        usage: { prompt_tokens: 5, completion_tokens: 1 },
      },
      { text: "Sunny.", usage: { prompt_tokens: 9, completion_tokens: 2 } },
    );
    const recorded: [string, RunMetrics][] = [];
    const events = await collect(
      agent({ model: model(), tools: [weather] }).stream("Weather?", {
        recordUsage: (callId, usage) => recorded.push([callId, usage]),
      }),
    );
    expect(recorded).toEqual([
      [events[0]?.runId, { inputTokens: 14, outputTokens: 3, totalTokens: 17 }],
    ]);
  });

  it("two concurrent runs share one agent without crosstalk", async () => {
    const answer = (request: RecordedRequest) => {
      const prompt = request.body.messages.at(-1)?.content;
      return { text: [`${prompt}-1 `, `${prompt}-2 `, `${prompt}-3`] };
    };
    server.enqueue(answer, answer);
    const shared = agent({ name: "shared", model: model(), instructions: "Be brief." });
    const runs = { alpha: shared.stream("alpha"), beta: shared.stream("beta") };
    const events: Record<keyof typeof runs, AgentEvent[]> = { alpha: [], beta: [] };
    // Step both runs in turn, so both requests are in flight and their events interleave.
    let open = Object.keys(runs) as (keyof typeof runs)[];
    while (open.length > 0) {
      const steps = await Promise.all(open.map((name) => runs[name].next()));
      open = open.filter((name, i) => {
        const step = steps[i];
        if (step === undefined || step.done) return false;
        events[name].push(step.value);
        return true;
      });
    }
    for (const prompt of ["alpha", "beta"] as const) {
      const own = events[prompt];
      const deltas = own.flatMap((e) => (e.event === "RunResponseContent" ? [e.content] : []));
      expect(deltas).toEqual([`${prompt}-1 `, `${prompt}-2 `, `${prompt}-3`]);
      const done = own.at(-1);
      if (done?.event !== "RunCompleted") throw new Error("expected RunCompleted last");
      expect(done.response.content).toBe(`${prompt}-1 ${prompt}-2 ${prompt}-3`);
      expect(done.response.messages).toEqual([
        { role: "user", content: prompt },
        { role: "assistant", content: `${prompt}-1 ${prompt}-2 ${prompt}-3` },
      ]);
      expect(new Set(own.map((e) => e.runId)).size).toBe(1);
    }
    expect(events.alpha[0]?.runId).not.toBe(events.beta[0]?.runId);
  });

  it("ends a tool loop that never stops with ToolLoopLimitError", async () => {
    const before = server.requests.length;
    const loop = () => ({ toolCalls: [{ name: "get_weather", arguments: '{"city":"Rome"}' }] });
    server.enqueue(loop, loop, loop);
    const looping = agent({ name: "looping", model: model(), tools: [weather], maxToolRounds: 2 });
    const error = await looping.run("Loop").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolLoopLimitError);
    expect(error).toMatchObject({ agentName: "looping", maxToolRounds: 2 });
    expect((error as Error).message).toContain("maxToolRounds");
    expect(server.requests.length - before).toBe(3);
  });
});

describe("agent definition", () => {
  it("rejects two tools with one name, a bad maxToolRounds, and a missing model", () => {
    expect(() => agent({ model: model(), tools: [weather, weather] })).toThrow(AgentConfigError);
    expect(() => agent({ model: model(), maxToolRounds: 1.5 })).toThrow(AgentConfigError);
    expect(() => agent({} as Parameters<typeof agent>[0])).toThrow(AgentConfigError);
  });

  it("is immutable and exposes its definition", () => {
    const writer = agent({ name: "writer", model: model(), tools: [weather], instructions: "Hi" });
    expect(Object.isFrozen(writer)).toBe(true);
    expect(writer).toMatchObject({ name: "writer", instructions: "Hi", maxToolRounds: 10 });
    expect(writer.tools.map((t) => t.name)).toEqual(["get_weather"]);
    expect(writer.model.id).toBe("test-model");
  });
});
