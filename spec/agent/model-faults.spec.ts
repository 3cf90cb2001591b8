import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AbortError,
  agent,
  defineWorkflow,
  execute,
  ModelTimeoutError,
  type WorkflowEvent,
  type WorkflowStorage,
} from "buddy-ai";
import { ModelStreamError, type OpenAIModelOptions, openai } from "buddy-ai/openai";
import { sqliteStorage } from "buddy-ai/sqlite";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type OpenAIServer, startOpenAIServer } from "../support/openai-server.js";

let server: OpenAIServer;
let dir: string;
let storage: WorkflowStorage;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(() => server.close());
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "buddy-model-faults-"));
  storage = sqliteStorage({ dbFile: join(dir, "runs.db") });
});
afterEach(async () => {
  await storage.close();
  await rm(dir, { recursive: true, force: true });
});

const model = (options: OpenAIModelOptions = {}) =>
  openai("test-model", { baseURL: `${server.url}/v1`, apiKey: "test", retryDelay: 1, ...options });

const writerWorkflow = (options?: OpenAIModelOptions) => {
  const writer = agent({ name: "writer", model: model(options) });
  return defineWorkflow(async function* article(ctx, topic: string) {
    yield* writer.stream(`Write about ${topic}`, ctx);
  });
};

async function collect(events: AsyncIterable<WorkflowEvent>, stop?: (e: WorkflowEvent) => void) {
  const out: WorkflowEvent[] = [];
  const error = await (async () => {
    for await (const e of events) {
      out.push(e);
      stop?.(e);
    }
  })().catch((e: unknown) => e);
  return { events: out, error };
}

describe("model faults inside a workflow run, with a SQLite store", () => {
  it("a connection dropped after 3 deltas: RunError and WorkflowError name ModelStreamError; the run is stored as error", async () => {
    server.enqueue({ text: ["One ", "two ", "three ", "four ", "five "], dropAfter: 3 });
    const before = server.requests.length;
    const { events, error } = await collect(
      execute(writerWorkflow(), "tides", { storage, sessionId: "drop" }),
    );
    expect(error).toBeInstanceOf(ModelStreamError);
    expect(server.requests.length - before).toBe(1);
    const content = events.filter((e) => e.event === "RunResponseContent");
    expect(content.map((e) => e.content)).toEqual(["One ", "two ", "three "]);
    expect(events.find((e) => e.event === "RunError")).toMatchObject({
      errorName: "ModelStreamError",
    });
    const failed = events.at(-1);
    expect(failed).toMatchObject({ event: "WorkflowError", errorName: "ModelStreamError" });
    const [stored] = await storage.listRuns("drop");
    expect(stored?.status).toBe("error");
    expect(stored?.error).toContain(`Model "test-model" at ${server.url}/v1`);
    expect(stored?.error).toContain("closed the connection mid-answer after 3 deltas");
    expect(stored?.error).toContain("not retried");
  });

  it("an in-band rate limit before the first delta is retried; the run completes", async () => {
    server.enqueue(
      { streamError: { message: "Rate limited", code: "rate_limit_exceeded" } },
      { text: "Recovered." },
    );
    const before = server.requests.length;
    const { events, error } = await collect(
      execute(writerWorkflow(), "tides", { storage, sessionId: "limit" }),
    );
    expect(error).toBeUndefined();
    expect(server.requests.length - before).toBe(2);
    expect(events.at(-1)).toMatchObject({ event: "WorkflowCompleted", content: "Recovered." });
    const [stored] = await storage.listRuns("limit");
    expect(stored).toMatchObject({ status: "completed", content: "Recovered." });
  });

  it("a silent server fails the run with ModelTimeoutError within the bound", async () => {
    server.enqueue({ silent: true });
    const started = performance.now();
    const { events, error } = await collect(
      execute(writerWorkflow({ timeout: 150, maxRetries: 0 }), "tides", {
        storage,
        sessionId: "silent",
      }),
    );
    expect(error).toBeInstanceOf(ModelTimeoutError);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(events.at(-1)).toMatchObject({ event: "WorkflowError", errorName: "ModelTimeoutError" });
    const [stored] = await storage.listRuns("silent");
    expect(stored?.status).toBe("error");
    expect(stored?.error).toContain("did not answer within 150 ms");
  });

  it("a cancelled run keeps the content streamed so far, in its response and in the store", async () => {
    server.enqueue({ text: ["Once ", "upon "], hang: true });
    const controller = new AbortController();
    let deltas = 0;
    const { events, error } = await collect(
      execute(writerWorkflow(), "tides", {
        storage,
        sessionId: "cancel",
        signal: controller.signal,
      }),
      (e) => {
        if (e.event === "RunResponseContent" && ++deltas === 2) controller.abort();
      },
    );
    expect(error).toBeInstanceOf(AbortError);
    expect(events.at(-1)?.event).toBe("WorkflowCancelled");
    const [stored] = await storage.listRuns("cancel");
    expect(stored).toMatchObject({ status: "cancelled", content: "Once upon " });
  });

  it("a consumer that stops iterating leaves a cancelled run with the content it read", async () => {
    server.enqueue({ text: ["Only ", "this "], hang: true });
    let deltas = 0;
    for await (const e of execute(writerWorkflow(), "tides", { storage, sessionId: "stop" })) {
      if (e.event === "RunResponseContent" && ++deltas === 2) break;
    }
    const [stored] = await storage.listRuns("stop");
    expect(stored).toMatchObject({ status: "cancelled", content: "Only this " });
  });

  it("a server that reports no usage leaves token counts undefined (documented), not 0", async () => {
    server.enqueue({ text: "No counts.", usage: null });
    const response = await agent({ model: model() }).run("Hi");
    expect(response.content).toBe("No counts.");
    expect(response.metrics.totalTokens).toBeUndefined();
    expect(response.metrics.inputTokens).toBeUndefined();
    expect(response.metrics.durationMs).toBeGreaterThanOrEqual(0);
  });
});
