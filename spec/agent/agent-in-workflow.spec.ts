import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AbortError,
  agent,
  defineWorkflow,
  execute,
  ModelHTTPError,
  type RunOutcome,
  run,
  tool,
  type WorkflowEvent,
  type WorkflowStorage,
} from "buddy-ai";
import { openai } from "buddy-ai/openai";
import { sqliteStorage } from "buddy-ai/sqlite";
import { scriptedModel } from "buddy-ai/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type OpenAIServer, startOpenAIServer } from "../support/openai-server.js";

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(() => server.close());

const model = () => openai("test-model", { baseURL: `${server.url}/v1`, apiKey: "test" });

/** A store that keeps what runs hand it, to check what would be saved. */
function recordingStorage(): { storage: WorkflowStorage; saved: RunOutcome[] } {
  const saved: RunOutcome[] = [];
  const storage: WorkflowStorage = {
    readSession: async () => undefined,
    listSessions: async () => [],
    deleteSession: async () => {},
    renameSession: async () => false,
    listRuns: async () => [],
    getRun: async () => undefined,
    listSteps: async () => [],
    listInterruptedRuns: async () => [],
    listSuspendedRuns: async () => [],
    close: async () => {},
    openRun: async () => ({
      session: undefined,
      history: [],
      finish: async (outcome) => {
        saved.push(outcome);
      },
    }),
  };
  return { storage, saved };
}

async function collect(events: AsyncIterable<WorkflowEvent>) {
  const out: WorkflowEvent[] = [];
  const error = await (async () => {
    for await (const e of events) out.push(e);
  })().catch((e: unknown) => e);
  return { events: out, error };
}

describe("agents inside workflows", () => {
  it("yield* agent.stream(prompt, ctx) forwards its events; content and usage add up and are stored", async () => {
    server.enqueue({
      text: ["Tides ", "are ", "waves."],
      usage: { prompt_tokens: 12, completion_tokens: 3 },
    });
    const writer = agent({ name: "writer", model: model() });
    const article = defineWorkflow(async function* article(ctx, topic: string) {
      yield* writer.stream(`Write about ${topic}`, ctx);
    });
    const { storage, saved } = recordingStorage();
    const { events, error } = await collect(
      execute(article, "tides", { sessionId: "s1", storage }),
    );
    expect(error).toBeUndefined();
    expect(events.map((e) => e.event)).toEqual([
      "WorkflowStarted",
      "RunStarted",
      "RunResponseContent",
      "RunResponseContent",
      "RunResponseContent",
      "RunCompleted",
      "WorkflowCompleted",
    ]);
    const runId = events[0]?.runId;
    for (const e of events)
      expect(e).toMatchObject({ runId, sessionId: "s1", workflowId: "article" });
    for (const e of events.slice(1, -1)) expect(e).toMatchObject({ agentName: "writer" });
    const done = events.at(-1);
    if (done?.event !== "WorkflowCompleted") throw new Error("expected WorkflowCompleted last");
    expect(done.content).toBe("Tides are waves.");
    expect(done.response.metrics).toMatchObject({
      inputTokens: 12,
      outputTokens: 3,
      totalTokens: 15,
    });
    expect(saved[0]?.runs[0]?.metrics).toMatchObject({
      inputTokens: 12,
      outputTokens: 3,
      totalTokens: 15,
    });
    expect(saved[0]?.runs[0]?.content).toBe("Tides are waves.");
  });

  it("researcher then writer: yield* returns each agent's response, and usage sums over both", async () => {
    server.enqueue(
      { text: ["Notes."], usage: { prompt_tokens: 10, completion_tokens: 1 } },
      { text: ["Article ", "text."], usage: { prompt_tokens: 20, completion_tokens: 2 } },
    );
    const researcher = agent({ name: "researcher", model: model() });
    const writer = agent({ name: "writer", model: model() });
    const seen: unknown[] = [];
    const article = defineWorkflow(async function* article(ctx, topic: string) {
      const notes = yield* researcher.stream(`Research ${topic}`, ctx);
      seen.push(notes.content);
      yield " ";
      yield* writer.stream(`Write from: ${notes.content}`, ctx);
    });
    const response = await run(article, "tides");
    expect(seen).toEqual(["Notes."]);
    expect(response.content).toBe("Notes. Article text.");
    expect(response.metrics).toMatchObject({ inputTokens: 30, outputTokens: 3, totalTokens: 33 });
    expect(server.requests.at(-1)?.body.messages.at(-1)?.content).toBe("Write from: Notes.");
  });

  it("await agent.run(prompt, ctx) in an async workflow records its usage into the run", async () => {
    const summarizer = agent({
      model: scriptedModel([{ text: "Short.", usage: { inputTokens: 7, outputTokens: 2 } }]),
    });
    const summary = defineWorkflow(async function summary(ctx, text: string) {
      const answer = await summarizer.run(`Summarize: ${text}`, ctx);
      return answer.content;
    });
    const response = await run(summary, "A long text");
    expect(response.content).toBe("Short.");
    expect(response.metrics).toMatchObject({ inputTokens: 7, outputTokens: 2, totalTokens: 9 });
  });

  it("cancelling the workflow aborts the agent's HTTP request", async () => {
    server.enqueue({ text: ["Once "], hang: true });
    const teller = agent({ name: "teller", model: model() });
    const story = defineWorkflow(async function* story(ctx) {
      yield* teller.stream("Tell a story", ctx);
    });
    const controller = new AbortController();
    const events: WorkflowEvent[] = [];
    const error = await (async () => {
      for await (const e of execute(story, undefined, { signal: controller.signal })) {
        events.push(e);
        if (e.event === "RunResponseContent") controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(events.at(-1)?.event).toBe("WorkflowCancelled");
    const request = server.requests.at(-1);
    await request?.done;
    expect(request?.clientClosed).toBe(true);
  });

  it("a 401 surfaces as RunError, then WorkflowError, and run() rejects with ModelHTTPError", async () => {
    server.enqueue({ status: 401, error: "Incorrect API key provided" });
    const writer = agent({ name: "writer", model: model() });
    const article = defineWorkflow(async function* article(ctx) {
      yield* writer.stream("Write", ctx);
    });
    const { events, error } = await collect(execute(article, undefined));
    expect(error).toBeInstanceOf(ModelHTTPError);
    expect((error as ModelHTTPError).status).toBe(401);
    expect(events.map((e) => e.event)).toEqual([
      "WorkflowStarted",
      "RunStarted",
      "RunError",
      "WorkflowError",
    ]);
    expect(events.at(-1)).toMatchObject({ errorName: "ModelHTTPError" });
  });

  it("concurrent runs of different sessions share one agent without crosstalk", async () => {
    const shared = agent({ name: "shared", model: model() });
    const echo = defineWorkflow(async function* echo(ctx, word: string) {
      yield* shared.stream(word, ctx);
    });
    const words = ["alpha", "beta", "gamma", "delta"];
    const responses = await Promise.all(words.map((w) => run(echo, w, { sessionId: `s-${w}` })));
    expect(responses.map((r) => r.content)).toEqual(words.map((w) => `echo: ${w}`));
    expect(responses.map((r) => r.sessionId)).toEqual(words.map((w) => `s-${w}`));
    for (const r of responses) expect(r.metrics.outputTokens).toBe(2);
  });

  it("token usage is stored with the run in a real SQLite store", async () => {
    server.enqueue({ text: ["Stored."], usage: { prompt_tokens: 7, completion_tokens: 2 } });
    const writer = agent({ name: "writer", model: model() });
    const dir = await mkdtemp(join(tmpdir(), "buddy-usage-"));
    const storage = sqliteStorage({ dbFile: join(dir, "usage.db") });
    try {
      const response = await run(
        async function* article(ctx) {
          yield* writer.stream("Write", ctx);
        },
        undefined,
        { storage, sessionId: "usage" },
      );
      const [stored] = await storage.listRuns("usage");
      expect(stored?.runId).toBe(response.runId);
      expect(stored?.status).toBe("completed");
      expect(stored?.content).toBe("Stored.");
      expect(stored?.metrics).toMatchObject({ inputTokens: 7, outputTokens: 2, totalTokens: 9 });
    } finally {
      await storage.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("each agent call's messages (prompt, tool calls and results, answer) are kept in the run's record", async () => {
    const lookup = tool({
      name: "lookup",
      description: "Looks an order up.",
      parameters: z.object({ id: z.string() }),
      execute: async ({ id }) => `order ${id} shipped`,
    });
    const helper = agent({
      name: "helper",
      model: scriptedModel([
        { toolCalls: [{ name: "lookup", args: { id: "7" } }] },
        "Order 7 has shipped.",
        "Streamed answer.",
      ]),
      tools: [lookup],
    });
    const dir = await mkdtemp(join(tmpdir(), "buddy-messages-"));
    const storage = sqliteStorage({ dbFile: join(dir, "messages.db") });
    try {
      const response = await run(
        async function* support(ctx) {
          await helper.run("Where is order 7?", ctx); // given ctx
          yield* helper.stream("Say it again"); // not given ctx: its events are forwarded
        },
        undefined,
        { storage, sessionId: "m" },
      );
      const roles = response.messages.map((m) => m.role);
      expect(roles).toEqual(["user", "assistant", "tool", "assistant", "user", "assistant"]);
      expect(response.messages[0]).toMatchObject({ role: "user", content: "Where is order 7?" });
      expect(JSON.stringify(response.messages[2])).toContain("order 7 shipped");
      expect(response.messages.at(-1)).toMatchObject({ content: "Streamed answer." });
      const [stored] = await storage.listRuns("m");
      expect(stored?.messages).toEqual(response.messages);
    } finally {
      await storage.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
