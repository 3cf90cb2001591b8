import type { StandardSchemaV1 } from "@standard-schema/spec";
import { AbortError, AgentConfigError, agent, SchemaConversionError, tool } from "buddy-ai";
import { scriptedModel } from "buddy-ai/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";

const noop = () => "ok";

describe("tool", () => {
  it("turns a zod schema into the JSON Schema sent to the model", () => {
    const search = tool({
      name: "search",
      description: "Searches the web",
      parameters: z.object({
        query: z.string().describe("What to look for"),
        limit: z.number().optional(),
      }),
      execute: noop,
    });
    expect(search.jsonSchema).toEqual({
      type: "object",
      properties: {
        query: { type: "string", description: "What to look for" },
        limit: { type: "number" },
      },
      required: ["query"],
    });
  });

  it("fails with SchemaConversionError for a schema without Standard JSON Schema", () => {
    const bare: StandardSchemaV1<{ q: string }> = {
      "~standard": {
        version: 1,
        vendor: "handmade",
        validate: (value) => ({ value: value as { q: string } }),
      },
    };
    const define = () => tool({ name: "search", description: "", parameters: bare, execute: noop });
    expect(define).toThrow(SchemaConversionError);
    expect(define).toThrow(/handmade.*Standard JSON Schema/);
  });

  it("fails with SchemaConversionError for types JSON Schema cannot express", () => {
    const define = () =>
      tool({
        name: "remind",
        description: "",
        parameters: z.object({ at: z.date() }),
        execute: noop,
      });
    expect(define).toThrow(SchemaConversionError);
    expect(define).toThrow(/Tool "remind" parameters/);
  });

  it("rejects names model APIs would not accept", () => {
    const define = (name: string) => () =>
      tool({ name, description: "", parameters: z.object({}), execute: noop });
    expect(define("get weather")).toThrow(AgentConfigError);
    expect(define("x".repeat(65))).toThrow(AgentConfigError);
    expect(define("get_weather-2")).not.toThrow();
  });

  it("executes with validated, typed arguments (schema defaults applied), its signal and call id", async () => {
    const seen: unknown[] = [];
    const add = tool({
      name: "add",
      description: "Adds numbers",
      parameters: z.object({ a: z.number(), b: z.number().default(10) }),
      execute: ({ a, b }, { signal, toolCallId }) => {
        seen.push({ a, b, toolCallId, aborted: signal.aborted });
        return a + b;
      },
    });
    const model = scriptedModel([{ toolCalls: [{ id: "c1", name: "add", args: { a: 1 } }] }, "11"]);
    await agent({ model, tools: [add] }).run("1 + default?");
    expect(seen).toEqual([{ a: 1, b: 10, toolCallId: "c1", aborted: false }]);
    expect(model.calls[1]?.messages.at(-1)).toEqual({
      role: "tool",
      toolCallId: "c1",
      content: "11",
    });
  });

  it("sends strings as they are and other results as JSON", async () => {
    const echo = tool({
      name: "echo",
      description: "",
      parameters: z.object({ value: z.unknown() }),
      execute: ({ value }) => value,
    });
    const model = scriptedModel([
      {
        toolCalls: [
          { name: "echo", args: { value: "plain" } },
          { name: "echo", args: { value: { n: 1 } } },
        ],
      },
      "done",
    ]);
    await agent({ model, tools: [echo] }).run("Echo");
    const results = model.calls[1]?.messages.filter((m) => m.role === "tool").map((m) => m.content);
    expect(results).toEqual(["plain", '{"n":1}']);
  });

  it("bad JSON, unknown tools and thrown errors go back to the model as error results", async () => {
    const flaky = tool({
      name: "flaky",
      description: "",
      parameters: z.object({}),
      execute: () => {
        throw new Error("disk full");
      },
    });
    const model = scriptedModel([
      {
        toolCalls: [
          { id: "json", name: "flaky", args: "{not json" },
          { id: "unknown", name: "nope", args: {} },
          { id: "throws", name: "flaky", args: {} },
        ],
      },
      "Sorry.",
    ]);
    const events = [];
    for await (const e of agent({ model, tools: [flaky] }).stream("Try")) events.push(e);
    const completed = events.filter((e) => e.event === "ToolCallCompleted");
    expect(completed.map((e) => e.isError)).toEqual([true, true, true]);
    const results = model.calls[1]?.messages.filter((m) => m.role === "tool").map((m) => m.content);
    expect(results?.[0]).toMatch(/not valid JSON/);
    expect(results?.[1]).toBe('Unknown tool "nope". Available tools: flaky.');
    expect(results?.[2]).toBe('Tool "flaky" failed: disk full');
    expect(events.find((e) => e.event === "ToolCallStarted")).toMatchObject({ args: "{not json" });
    expect(events.at(-1)).toMatchObject({ event: "RunCompleted", content: "Sorry." });
  });

  it("runs a round's tools concurrently and reports them in the model's order", async () => {
    const started: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = tool({
      name: "slow",
      description: "",
      parameters: z.object({ id: z.string() }),
      execute: async ({ id }) => {
        started.push(id);
        if (started.length === 2) release();
        await gate; // resolves only once both calls have started
        return id;
      },
    });
    const model = scriptedModel([
      {
        toolCalls: [
          { name: "slow", args: { id: "a" } },
          { name: "slow", args: { id: "b" } },
        ],
      },
      "ok",
    ]);
    const events = [];
    for await (const e of agent({ model, tools: [slow] }).stream("Go")) events.push(e);
    const done = events.filter((e) => e.event === "ToolCallCompleted").map((e) => e.result);
    expect(done).toEqual(["a", "b"]);
  });

  it("aborting the run aborts a running tool's signal and rejects with AbortError", async () => {
    const controller = new AbortController();
    let toolSignal: AbortSignal | undefined;
    const wait = tool({
      name: "wait",
      description: "",
      parameters: z.object({}),
      execute: (_args, { signal }) =>
        new Promise((_resolve, reject) => {
          toolSignal = signal;
          signal.addEventListener("abort", () => reject(new Error("stopped")));
          controller.abort();
        }),
    });
    const model = scriptedModel([{ toolCalls: [{ name: "wait", args: {} }] }, "never"]);
    const run = agent({ model, tools: [wait] }).run("Wait", { signal: controller.signal });
    await expect(run).rejects.toBeInstanceOf(AbortError);
    expect(toolSignal?.aborted).toBe(true);
    expect(model.calls).toHaveLength(1);
  });

  it("an aborted run does not wait for a tool that ignores its signal", async () => {
    const controller = new AbortController();
    const stubborn = tool({
      name: "stubborn",
      description: "",
      parameters: z.object({}),
      execute: () => {
        controller.abort();
        return new Promise<string>(() => {}); // never settles
      },
    });
    const model = scriptedModel([{ toolCalls: [{ name: "stubborn", args: {} }] }, "never"]);
    const run = agent({ model, tools: [stubborn] }).run("Go", { signal: controller.signal });
    await expect(run).rejects.toBeInstanceOf(AbortError);
  });
});
