import {
  type Agent,
  type AgentEvent,
  type AgentResponse,
  agent,
  defineWorkflow,
  type RunResponse,
  type Tool,
  tool,
} from "buddy-ai";
import { scriptedModel } from "buddy-ai/testing";
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";

const model = scriptedModel([]);

describe("agent types", () => {
  it("content is a string without `output`", async () => {
    const writer = agent({ model });
    expectTypeOf(writer).toEqualTypeOf<Agent<string>>();
    const response = await writer.run("Hi");
    expectTypeOf(response.content).toEqualTypeOf<string>();
    expectTypeOf(response).toMatchTypeOf<RunResponse<string>>();
  });

  it("content is the schema's output type with `output`", async () => {
    const planner = agent({
      model,
      output: z.object({ title: z.string(), words: z.number().default(500) }),
    });
    const { content } = await planner.run("Plan");
    expectTypeOf(content).toEqualTypeOf<{ title: string; words: number }>();
  });

  it("stream() yields agent events and returns the typed response", () => {
    const planner = agent({ model, output: z.object({ ok: z.boolean() }) });
    const stream = planner.stream("Go");
    expectTypeOf(stream).toMatchTypeOf<AsyncIterable<AgentEvent>>();
    expectTypeOf<Awaited<ReturnType<typeof stream.next>>>().toEqualTypeOf<
      IteratorResult<AgentEvent, AgentResponse<{ ok: boolean }>>
    >();
  });

  it("a workflow's ctx fits the call options, and yield* returns the response", () => {
    const writer = agent({ model });
    defineWorkflow(async function* article(ctx, topic: string) {
      const response = yield* writer.stream(topic, ctx);
      expectTypeOf(response.content).toEqualTypeOf<string>();
    });
  });

  it("tool arguments are typed from the schema", () => {
    const search = tool({
      name: "search",
      description: "",
      parameters: z.object({ query: z.string(), limit: z.number().optional() }),
      execute: (args) => {
        expectTypeOf(args).toEqualTypeOf<{ query: string; limit?: number | undefined }>();
        return [args.query];
      },
    });
    expectTypeOf(search).toEqualTypeOf<
      Tool<{ query: string; limit?: number | undefined }, string[]>
    >();
    agent({ model, tools: [search] });
  });

  it("call options reject wrong types", () => {
    const writer = agent({ model });
    // @ts-expect-error a signal must be an AbortSignal
    writer.run("Hi", { signal: "stop" });
    // @ts-expect-error output must be a Standard Schema
    agent({ model, output: { type: "object" } });
  });
});
