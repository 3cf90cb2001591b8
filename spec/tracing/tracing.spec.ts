import { context, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import Database from "better-sqlite3";
import {
  agent,
  configureTracing,
  defineWorkflow,
  execute,
  resume,
  run,
  tool,
  type WorkflowContext,
} from "buddy-ai";
import { createHandler } from "buddy-ai/http";
import { openai } from "buddy-ai/openai";
import { sqliteStorage } from "buddy-ai/sqlite";
import { scriptedModel } from "buddy-ai/testing";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { startOpenAIServer } from "../support/openai-server.js";

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const quiet = { warn: () => {}, debug: () => {} };

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
});
afterAll(async () => {
  trace.disable();
  context.disable();
  await provider.shutdown();
});
beforeEach(() => exporter.reset());
afterEach(() => configureTracing({ recordContent: false }));

/** The finished spans as an indented tree of names, children in the order they started. */
function tree(spans: readonly ReadableSpan[] = exporter.getFinishedSpans()): string[] {
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  const children = new Map<string | undefined, ReadableSpan[]>();
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId;
    const key = parent !== undefined && ids.has(parent) ? parent : undefined;
    children.set(key, [...(children.get(key) ?? []), span]);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    const kids = [...(children.get(parent) ?? [])].sort(
      (a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1],
    );
    for (const span of kids) {
      lines.push(`${"  ".repeat(depth)}${span.name}`);
      walk(span.spanContext().spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines;
}

function named(name: string): ReadableSpan {
  const found = exporter.getFinishedSpans().filter((s) => s.name === name);
  expect(found, `one span named "${name}"`).toHaveLength(1);
  return found[0] as ReadableSpan;
}

describe("tracing: runs and steps", () => {
  it("traces a run with two steps and a child run, nested", async () => {
    const research = defineWorkflow(async function research(ctx, topic: string) {
      return ctx.step("search", () => `notes on ${topic}`);
    });
    const article = defineWorkflow(async function* article(ctx, topic: string) {
      const outline = await ctx.step("outline", () => ["intro", "end"]);
      const notes = await ctx.run(research, topic);
      yield `${outline.join(",")}: ${String(notes.content)}`;
      await ctx.step("publish", () => "ok", { retry: { attempts: 2, backoffMs: 0 } });
    });
    const response = await run(article, "tides", { sessionId: "s-1" });

    expect(tree()).toEqual([
      "workflow article",
      "  step outline",
      "  workflow research",
      "    step search",
      "  step publish",
    ]);
    const root = named("workflow article");
    expect(root.attributes).toMatchObject({
      "buddy.run.id": response.runId,
      "buddy.session.id": "s-1",
      "buddy.workflow.id": "article",
      "buddy.workflow.name": "article",
      "buddy.run.status": "completed",
    });
    expect(root.status.code).toBe(SpanStatusCode.UNSET);
    expect(named("workflow research").attributes).toMatchObject({
      "buddy.run.id": `${response.runId}/1`,
      "buddy.run.parent_id": response.runId,
      "buddy.run.status": "completed",
    });
    expect(named("step outline").attributes).toMatchObject({
      "buddy.step.name": "outline",
      "buddy.step.seq": 0,
      "buddy.step.attempts": 1,
    });
    // Positions count the run's own steps (a child run's are its own).
    expect(named("step publish").attributes["buddy.step.seq"]).toBe(1);
    // Every span is in one trace.
    const traces = new Set(exporter.getFinishedSpans().map((s) => s.spanContext().traceId));
    expect(traces.size).toBe(1);
  });

  it("nests a run started inside an active span under it, and spans the workflow makes under the run", async () => {
    const tracer = trace.getTracer("app");
    const inner = defineWorkflow(async function* inner(ctx) {
      yield "a";
      // The workflow's own spans see the run's span as active (a generator resumed by the runtime).
      await tracer.startActiveSpan("app work", async (span) => {
        await ctx.step("inside", () => 1);
        span.end();
      });
      yield "b";
    });
    await tracer.startActiveSpan("http request", async (span) => {
      await run(inner, undefined);
      span.end();
    });
    expect(tree()).toEqual([
      "http request",
      "  workflow inner",
      "    app work",
      "      step inside",
    ]);
  });

  it("runs every return style with the run's span active, across yields", async () => {
    const mark = (name: string) => trace.getTracer("app").startSpan(name).end();
    await run(function* sync() {
      mark("in sync");
      yield "a";
      mark("sync after a yield");
    }, undefined);
    await run(async function* asyncGenerator() {
      yield "a";
      mark("async after a yield");
    }, undefined);
    await run(async function plain() {
      await null;
      mark("after an await");
      return "x";
    }, undefined);
    expect(tree()).toEqual([
      "workflow sync",
      "  in sync",
      "  sync after a yield",
      "workflow asyncGenerator",
      "  async after a yield",
      "workflow plain",
      "  after an await",
    ]);
  });

  it("records a failing run and a failing step: exception event, error status, retries as events", async () => {
    let tries = 0;
    const failing = defineWorkflow(async function failing(ctx) {
      await ctx.step(
        "flaky",
        () => {
          tries++;
          throw new TypeError(`try ${tries} failed`);
        },
        { retry: { attempts: 3, backoffMs: 0 } },
      );
    });
    await expect(run(failing, undefined, { logger: quiet })).rejects.toThrow("try 3 failed");

    expect(tree()).toEqual(["workflow failing", "  step flaky"]);
    const step = named("step flaky");
    expect(step.status).toEqual({ code: SpanStatusCode.ERROR, message: "try 3 failed" });
    expect(step.attributes["buddy.step.attempts"]).toBe(3);
    expect(step.events.map((e) => [e.name, e.attributes?.["buddy.step.attempt"]])).toEqual([
      ["retry", 1],
      ["retry", 2],
      ["exception", undefined],
    ]);
    const root = named("workflow failing");
    expect(root.status).toEqual({ code: SpanStatusCode.ERROR, message: "try 3 failed" });
    expect(root.attributes).toMatchObject({
      "buddy.run.status": "error",
      "error.type": "TypeError",
    });
    const exception = root.events.find((e) => e.name === "exception");
    expect(exception?.attributes).toMatchObject({
      "exception.type": "TypeError",
      "exception.message": "try 3 failed",
    });
  });

  it("marks a cancelled run and its step in flight as cancelled, not as errors", async () => {
    const controller = new AbortController();
    const slow = defineWorkflow(async function slow(ctx) {
      await ctx.step("wait", ({ signal }) => {
        setTimeout(() => controller.abort(new Error("user left")), 1);
        return new Promise((_, reject) =>
          signal.addEventListener("abort", () => reject(signal.reason)),
        );
      });
    });
    await expect(run(slow, undefined, { signal: controller.signal })).rejects.toThrow(
      "The run was cancelled: user left",
    );
    expect(tree()).toEqual(["workflow slow", "  step wait"]);
    for (const name of ["workflow slow", "step wait"]) {
      const span = named(name);
      expect(span.attributes["buddy.cancelled"]).toBe(true);
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.events.filter((e) => e.name === "exception")).toEqual([]);
    }
    expect(named("workflow slow").attributes).toMatchObject({
      "buddy.run.status": "cancelled",
      "buddy.cancel.reason": "The run was cancelled: user left",
    });
  });

  it("marks a run whose consumer stopped reading as cancelled", async () => {
    const endless = defineWorkflow(async function* endless() {
      for (;;) yield "x";
    });
    for await (const _ of execute(endless, undefined)) break;
    const span = named("workflow endless");
    expect(span.attributes).toMatchObject({
      "buddy.cancelled": true,
      "buddy.run.status": "cancelled",
    });
  });

  it("creates no spans once the provider is gone, and runs the same", async () => {
    trace.disable();
    try {
      const response = await run(async (ctx) => ctx.step("a", () => "done"), undefined);
      expect(response.content).toBe("done");
      expect(exporter.getFinishedSpans()).toEqual([]);
    } finally {
      trace.setGlobalTracerProvider(provider);
    }
  });
});

describe("tracing: agents", () => {
  const weather = tool({
    name: "get_weather",
    description: "Current weather in a city",
    parameters: z.object({ city: z.string() }),
    execute: async ({ city }) => `sunny in ${city}`,
  });
  const script = () =>
    scriptedModel(
      [
        {
          toolCalls: [{ name: "get_weather", args: { city: "Paris" }, id: "call-1" }],
          usage: { inputTokens: 10, outputTokens: 3 },
        },
        { text: ["It is ", "sunny."], usage: { inputTokens: 20, outputTokens: 4 } },
      ],
      { id: "test-model" },
    );

  it("traces an agent call with a tool: invoke_agent, chat and execute_tool spans with GenAI attributes", async () => {
    const helper = agent({ name: "helper", model: script(), tools: [weather] });
    const support = defineWorkflow(async function* support(ctx) {
      yield* helper.stream("Weather in Paris?", ctx);
    });
    await run(support, undefined);

    expect(tree()).toEqual([
      "workflow support",
      "  invoke_agent helper",
      "    chat test-model",
      "    execute_tool get_weather",
      "    chat test-model",
    ]);
    const chats = exporter.getFinishedSpans().filter((s) => s.name === "chat test-model");
    expect(chats[0]?.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "custom",
      "gen_ai.system": "custom",
      "gen_ai.request.model": "test-model",
      "gen_ai.usage.input_tokens": 10,
      "gen_ai.usage.output_tokens": 3,
      "gen_ai.response.finish_reasons": ["tool_calls"],
    });
    expect(chats[1]?.attributes).toMatchObject({
      "gen_ai.usage.input_tokens": 20,
      "gen_ai.usage.output_tokens": 4,
      "gen_ai.response.finish_reasons": ["stop"],
    });
    expect(chats[1]?.attributes["gen_ai.response.time_to_first_chunk"]).toBeTypeOf("number");
    expect(chats[0]?.kind).toBe(2); // CLIENT
    expect(named("execute_tool get_weather").attributes).toMatchObject({
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": "get_weather",
      "gen_ai.tool.call.id": "call-1",
    });
    expect(named("invoke_agent helper").attributes).toMatchObject({
      "gen_ai.operation.name": "invoke_agent",
      "gen_ai.agent.name": "helper",
      "gen_ai.usage.input_tokens": 30,
      "gen_ai.usage.output_tokens": 7,
    });
  });

  it("names the provider and the model that answered for openai() models", async () => {
    const server = await startOpenAIServer();
    try {
      const model = openai("gpt-x", { baseURL: `${server.url}/v1`, apiKey: "spec" });
      const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
        id: "c1",
        object: "chat.completion.chunk",
        created: 0,
        model: "gpt-x-2025-01-01",
        choices: [{ index: 0, delta, finish_reason: finish }],
      });
      server.enqueue({ events: [chunk({ content: "Hi" }, null), chunk({}, "stop"), "[DONE]"] });
      await agent({ name: "a", model }).run("Hello");
      await agent({ name: "b", model }).run("Hello"); // the default reply echoes the model asked for
      const [answered, echoed] = exporter.getFinishedSpans().filter((s) => s.name === "chat gpt-x");
      expect(answered?.attributes).toMatchObject({
        "gen_ai.provider.name": "openai",
        "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-x",
        "gen_ai.response.model": "gpt-x-2025-01-01",
        "gen_ai.response.finish_reasons": ["stop"],
      });
      expect(echoed?.attributes).toMatchObject({
        "gen_ai.response.model": "gpt-x",
        "gen_ai.usage.input_tokens": 1,
        "gen_ai.usage.output_tokens": 2,
      });
    } finally {
      await server.close();
    }
  });

  it("traces an agent called outside any run as its own trace", async () => {
    await agent({ name: "solo", model: scriptedModel(["Hi"], { id: "m" }) }).run("Hello");
    expect(tree()).toEqual(["invoke_agent solo", "  chat m"]);
  });

  it("records a failing model call and a failing tool on their spans", async () => {
    const broken = tool({
      name: "broken",
      description: "Always fails",
      parameters: z.object({}),
      execute: async () => {
        throw new Error("disk full");
      },
    });
    const model = scriptedModel([{ toolCalls: [{ name: "broken", args: {} }] }, "Sorry."], {
      id: "m",
    });
    await agent({ name: "a", model, tools: [broken] }).run("Go");
    const toolSpan = named("execute_tool broken");
    expect(toolSpan.status.code).toBe(SpanStatusCode.ERROR);
    expect(toolSpan.status.message).toContain("disk full");
    expect(toolSpan.attributes["error.type"]).toBe("tool_error");

    exporter.reset();
    const exhausted = scriptedModel([], { id: "empty" });
    await expect(agent({ name: "b", model: exhausted }).run("Hi")).rejects.toThrow();
    expect(tree()).toEqual(["invoke_agent b", "  chat empty"]);
    expect(named("chat empty").status.code).toBe(SpanStatusCode.ERROR);
    expect(named("chat empty").events.map((e) => e.name)).toEqual(["exception"]);
    expect(named("invoke_agent b").status.code).toBe(SpanStatusCode.ERROR);
  });

  it("marks an agent call cancelled while its tool runs as cancelled, with the tool", async () => {
    const controller = new AbortController();
    const hang = tool({
      name: "hang",
      description: "Never returns",
      parameters: z.object({}),
      execute: (_args, { signal }) => {
        setTimeout(() => controller.abort(new Error("user left")), 1);
        return new Promise((_, reject) =>
          signal.addEventListener("abort", () => reject(signal.reason)),
        );
      },
    });
    const model = scriptedModel([{ toolCalls: [{ name: "hang", args: {} }] }], { id: "m" });
    const call = agent({ name: "a", model, tools: [hang] }).run("Go", {
      signal: controller.signal,
    });
    await expect(call).rejects.toThrow("aborted");
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(tree()).toEqual(["invoke_agent a", "  chat m", "  execute_tool hang"]);
    for (const name of ["invoke_agent a", "execute_tool hang"]) {
      expect(named(name).attributes["buddy.cancelled"]).toBe(true);
      expect(named(name).status.code).toBe(SpanStatusCode.UNSET);
    }
  });

  it("records no message contents by default, and records them when asked", async () => {
    const support = defineWorkflow(async function support(ctx, city: string) {
      const helper = agent({ name: "helper", model: script(), tools: [weather] });
      return (await helper.run(`Weather in ${city}?`, ctx)).content;
    });
    await run(support, "Paris");
    const contentKeys = (spans: readonly ReadableSpan[]) =>
      spans.flatMap((s) =>
        Object.keys(s.attributes).filter(
          (k) =>
            k.includes("messages") ||
            k.includes("arguments") ||
            k.includes("result") ||
            k.endsWith(".input") ||
            k.endsWith(".output"),
        ),
      );
    expect(contentKeys(exporter.getFinishedSpans())).toEqual([]);
    expect(JSON.stringify(exporter.getFinishedSpans().map((s) => s.attributes))).not.toContain(
      "Paris",
    );

    exporter.reset();
    configureTracing({ recordContent: true });
    await run(support, "Paris");
    const chat = exporter.getFinishedSpans().filter((s) => s.name === "chat test-model")[0];
    expect(chat?.attributes["gen_ai.input.messages"]).toContain("Weather in Paris?");
    expect(String(named("execute_tool get_weather").attributes["gen_ai.tool.call.arguments"])).toBe(
      '{"city":"Paris"}',
    );
    expect(named("execute_tool get_weather").attributes["gen_ai.tool.call.result"]).toBe(
      "sunny in Paris",
    );
    expect(named("workflow support").attributes).toMatchObject({
      "buddy.run.input": "Paris",
      "buddy.run.output": "It is sunny.",
    });
    expect(String(named("invoke_agent helper").attributes["buddy.agent.output"])).toBe(
      "It is sunny.",
    );
  });
});

describe("tracing: suspend, resume and HTTP", () => {
  let database: Database.Database;
  beforeEach(() => {
    database = new Database(":memory:");
  });
  afterEach(() => database.close());

  it("ends a suspended run's span as suspended; the resumed run's span links to it", async () => {
    const storage = sqliteStorage({ database });
    const refund = defineWorkflow(async function refund(ctx: WorkflowContext, amount: number) {
      await ctx.step("quote", () => amount);
      const { approved } = await ctx.waitFor<{ approved: boolean }>("approval");
      if (approved) await ctx.step("pay", () => "paid");
      return approved ? "refunded" : "refused";
    });
    const first = await run(refund, 12, { storage, sessionId: "u1" });
    expect(first.status).toBe("suspended");
    expect(tree()).toEqual(["workflow refund", "  step quote"]);
    const suspended = named("workflow refund");
    expect(suspended.attributes).toMatchObject({
      "buddy.run.status": "suspended",
      "buddy.run.waiting_for": ["approval"],
    });

    exporter.reset();
    const events = [];
    for await (const event of resume(
      refund,
      first.runId,
      { approval: { approved: true } },
      { storage },
    )) {
      events.push(event.event);
    }
    expect(events.at(-1)).toBe("WorkflowCompleted");
    // The journaled step is replayed: only the live one has a span.
    expect(tree()).toEqual(["workflow refund", "  step pay"]);
    const resumed = named("workflow refund");
    expect(resumed.attributes).toMatchObject({
      "buddy.run.id": first.runId,
      "buddy.run.status": "completed",
      "buddy.run.resumed": true,
      "buddy.run.replayed": true,
    });
    expect(resumed.links.map((l) => l.context.spanId)).toEqual([suspended.spanContext().spanId]);
    expect(resumed.links[0]?.context.traceId).toBe(suspended.spanContext().traceId);
    await storage.close();
  });

  it("continues an incoming traceparent for runs started through buddy-ai/http", async () => {
    const storage = sqliteStorage({ database });
    const greet = defineWorkflow(async function greet(ctx, name: string) {
      return ctx.step("compose", () => `Hello, ${name}`);
    });
    const handler = createHandler({
      storage,
      workflows: [greet],
      authorize: () => true,
      logger: quiet,
    });
    const traceId = "0af7651916cd43dd8448eb211c80319c";
    const parentSpanId = "b7ad6b7169203331";
    const response = await handler(
      new Request("http://localhost/runs", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          traceparent: `00-${traceId}-${parentSpanId}-01`,
        },
        body: JSON.stringify({ workflowId: "greet", input: "Ada" }),
      }),
    );
    expect(response.status).toBe(200);
    expect(tree()).toEqual(["workflow greet", "  step compose"]);
    const span = named("workflow greet");
    expect(span.spanContext().traceId).toBe(traceId);
    expect(span.parentSpanContext?.spanId).toBe(parentSpanId);
    await storage.close();
  });
});
