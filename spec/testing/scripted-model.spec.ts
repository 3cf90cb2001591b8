import { AbortError, type AgentEvent, agent, type ModelChunk, tool } from "buddy-ai";
import { ScriptExhaustedError, scriptedModel } from "buddy-ai/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const ask = { messages: [{ role: "user", content: "Hi" }], tools: [] } as const;

describe("scriptedModel", () => {
  it("streams a text answer word by word, or in the chunks given", async () => {
    const model = scriptedModel(["Hello there, world.", { text: ["Hel", "lo"] }]);
    const first = await collect(model.stream(ask));
    expect(first).toEqual([
      { type: "text-delta", text: "Hello " },
      { type: "text-delta", text: "there, " },
      { type: "text-delta", text: "world." },
      { type: "finish", reason: "stop" },
    ]);
    const second = await collect(model.stream(ask));
    expect(
      second.filter((c) => c.type === "text-delta").map((c) => (c as { text: string }).text),
    ).toEqual(["Hel", "lo"]);
  });

  it("records every call's messages, tools and response format", async () => {
    const model = scriptedModel(["ok"]);
    const lookup = tool({
      name: "lookup",
      description: "Looks up",
      parameters: z.object({ q: z.string() }),
      execute: () => "",
    });
    await agent({ model, instructions: "Be kind.", tools: [lookup] }).run("Question");
    expect(model.calls).toEqual([
      {
        messages: [
          { role: "system", content: "Be kind." },
          { role: "user", content: "Question" },
        ],
        tools: [{ name: "lookup", description: "Looks up", parameters: lookup.jsonSchema }],
        responseFormat: undefined,
      },
    ]);
    expect(model.remaining).toBe(0);
  });

  it("scripts tool calls with object or raw-string arguments and default ids", async () => {
    const model = scriptedModel([
      {
        toolCalls: [
          { name: "a", args: { x: 1 } },
          { name: "b", args: "{oops", id: "mine" },
        ],
      },
    ]);
    const chunks = await collect(model.stream(ask));
    expect(chunks).toEqual([
      { type: "tool-call", id: "call_1_0", name: "a", arguments: '{"x":1}' },
      { type: "tool-call", id: "mine", name: "b", arguments: "{oops" },
      { type: "finish", reason: "tool_calls" },
    ]);
  });

  it("answers JSON for structured output", async () => {
    const model = scriptedModel([{ json: { title: "Hi", tags: ["a"] } }]);
    const response = await agent({
      model,
      output: z.object({ title: z.string(), tags: z.array(z.string()) }),
    }).run("Plan");
    expect(response.content).toEqual({ title: "Hi", tags: ["a"] });
    expect(model.calls[0]?.responseFormat?.name).toBe("output");
  });

  it("reports usage, computing the total", async () => {
    const model = scriptedModel([{ text: "x", usage: { inputTokens: 3, outputTokens: 2 } }]);
    const chunks = await collect(model.stream(ask));
    expect(chunks).toContainEqual({
      type: "usage",
      usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5 },
    });
    const response = await agent({
      model: scriptedModel([{ text: "y", usage: { inputTokens: 1, outputTokens: 1 } }]),
    }).run("Hi");
    expect(response.metrics).toMatchObject({ inputTokens: 1, outputTokens: 1, totalTokens: 2 });
  });

  it("throws a scripted error after the text has streamed", async () => {
    const boom = new Error("model crashed");
    const events: AgentEvent[] = [];
    const error = await (async () => {
      for await (const e of agent({
        model: scriptedModel([{ text: ["partial"], error: boom }]),
      }).stream("Hi"))
        events.push(e);
    })().catch((e: unknown) => e);
    expect(error).toBe(boom);
    expect(events.map((e) => e.event)).toEqual(["RunStarted", "RunResponseContent", "RunError"]);
    expect(events.at(-1)).toMatchObject({ error: "model crashed", errorName: "Error" });
  });

  it("lets a turn be a function of the request", async () => {
    const model = scriptedModel([
      (request) => ({ text: `You said ${request.messages.at(-1)?.content}` }),
    ]);
    expect((await agent({ model }).run("hi")).content).toBe("You said hi");
  });

  it("answers every call with one function, however many calls come", async () => {
    const model = scriptedModel((request, call) => `#${call} ${request.messages.at(-1)?.content}`);
    expect(model.remaining).toBe(Number.POSITIVE_INFINITY);
    const writer = agent({ model });
    const answers: unknown[] = [];
    for (let i = 1; i <= 25; i++) answers.push((await writer.run(`q${i}`)).content);
    expect(answers[0]).toBe("#1 q1");
    expect(answers[24]).toBe("#25 q25");
    expect(model.calls).toHaveLength(25);
    expect(model.remaining).toBe(Number.POSITIVE_INFINITY);
  });

  it("repeats a turn `times` calls, then goes on with the script", async () => {
    const model = scriptedModel([
      "first",
      { repeat: { text: "again", usage: { inputTokens: 1, outputTokens: 1 } }, times: 2 },
      { repeat: (_request, call) => ({ toolCalls: [{ name: "t", args: { call } }] }), times: 1 },
      "last",
    ]);
    expect(model.remaining).toBe(5);
    const texts: string[] = [];
    for (let i = 0; i < 5; i++) {
      const chunks = await collect(model.stream(ask));
      texts.push(
        chunks
          .map((c) =>
            c.type === "text-delta"
              ? c.text
              : c.type === "tool-call"
                ? `${c.name}${c.arguments}`
                : "",
          )
          .join(""),
      );
      if (i === 1) expect(model.remaining).toBe(3);
    }
    expect(texts).toEqual(["first", "again", "again", 't{"call":4}', "last"]);
    expect(model.remaining).toBe(0);
    await expect(collect(model.stream(ask))).rejects.toBeInstanceOf(ScriptExhaustedError);
  });

  it("an endless repeat answers every call after the turns before it", async () => {
    const model = scriptedModel(["hello", { repeat: "more" }]);
    expect(model.remaining).toBe(Number.POSITIVE_INFINITY);
    const writer = agent({ model });
    const answers: unknown[] = [];
    for (let i = 0; i < 12; i++) answers.push((await writer.run("go")).content);
    expect(answers).toEqual(["hello", ...Array(11).fill("more")]);
  });

  it("refuses turns that could never answer and repeat counts that are not positive integers", () => {
    expect(() => scriptedModel([{ repeat: "x" }, "unreachable"])).toThrow(
      'scriptedModel "scripted": turn 1 repeats without `times`, so the 1 turn(s) after it would never answer; give it `times` or make it the last turn',
    );
    expect(() => scriptedModel([{ repeat: "x", times: 0 }])).toThrow(
      "turn 1 has `times: 0`; it must be a positive integer",
    );
    expect(() => scriptedModel(["a", { repeat: "x", times: 1.5 }])).toThrow(
      "turn 2 has `times: 1.5`",
    );
  });

  it("fails with ScriptExhaustedError when the script runs out", async () => {
    const model = scriptedModel(["only one"]);
    await collect(model.stream(ask));
    const error = await collect(model.stream(ask)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScriptExhaustedError);
    expect((error as Error).message).toBe(
      'scriptedModel "scripted" got call 2, but its script has 1 turn(s); add a turn for every model call the code makes',
    );
    expect(model.calls).toHaveLength(2);
  });

  it("stops with AbortError when the signal aborts, also during a chunk delay", async () => {
    const controller = new AbortController();
    const model = scriptedModel(["one two three"], { chunkDelayMs: 1_000 });
    const chunks: ModelChunk[] = [];
    const pending = (async () => {
      for await (const c of model.stream({ ...ask, signal: controller.signal })) chunks.push(c);
    })();
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortError);
    expect(chunks).toEqual([]);
  });

  it("is deterministic: the same script gives the same events", async () => {
    const run = async () => {
      const events = await collect(
        agent({ model: scriptedModel(["Same every time."]) }).stream("Hi"),
      );
      return events.map((e) => [
        e.event,
        "content" in e && typeof e.content === "string" ? e.content : "",
      ]);
    };
    expect(await run()).toEqual(await run());
  });
});
