/**
 * Agent overhead over the raw `openai` client, against the local OpenAI-compatible test server:
 * added time to first token (target ≤ 1 ms) and added time per delta, for `agent.stream` and for
 * `execute` of a workflow doing `yield* writer.stream(prompt, ctx)`. A second part measures the
 * same paths in process (a model yielding deltas from memory), where no network noise hides them.
 */
import { agent, defineWorkflow, execute, type Model, type ModelChunk } from "buddy-ai";
import { openai } from "buddy-ai/openai";
import OpenAI from "openai";
import { startOpenAIServer } from "../spec/support/openai-server.js";
import { medianMs, report } from "./support/measure.js";

const DELTAS = 100; // per answer over HTTP
const ANSWERS = 300; // per path over HTTP
const MEMORY_DELTAS = 200_000; // in process
const quiet = { warn: () => {}, debug: () => {} };

interface Timing {
  readonly firstMs: number;
  readonly totalMs: number;
}

/** Times one answer: until the first content delta, and until the stream ends. */
async function time(
  start: () => AsyncIterable<unknown>,
  isDelta: (e: unknown) => boolean,
): Promise<Timing> {
  const t0 = performance.now();
  let firstMs = Number.NaN;
  for await (const item of start()) {
    if (Number.isNaN(firstMs) && isDelta(item)) firstMs = performance.now() - t0;
  }
  return { firstMs, totalMs: performance.now() - t0 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export async function main(): Promise<void> {
  console.log("\n# agent overhead");
  const server = await startOpenAIServer({
    defaultReply: { text: Array.from({ length: DELTAS }, (_, i) => `t${i} `) },
  });
  try {
    const client = new OpenAI({ apiKey: "bench", baseURL: `${server.url}/v1`, maxRetries: 0 });
    const writer = agent({ name: "writer", model: openai("bench-model", { client }) });
    const workflow = defineWorkflow(async function* article(ctx, prompt: string) {
      yield* writer.stream(prompt, ctx);
    });
    const messages = [{ role: "user" as const, content: "Write" }];

    const paths: [string, () => AsyncIterable<unknown>, (e: unknown) => boolean][] = [
      [
        "raw openai client",
        () =>
          (async function* () {
            const stream = await client.chat.completions.create({
              model: "bench-model",
              messages,
              stream: true,
              stream_options: { include_usage: true },
            });
            yield* stream;
          })(),
        (c) =>
          Boolean((c as OpenAI.Chat.Completions.ChatCompletionChunk).choices?.[0]?.delta?.content),
      ],
      ["agent.stream", () => writer.stream("Write"), isContent],
      [
        "execute + yield* agent.stream",
        () => execute(workflow, "Write", { logger: quiet }),
        isContent,
      ],
    ];
    const timings = paths.map((): Timing[] => []);
    for (let round = -20; round < ANSWERS; round++) {
      // Interleaved, so drift on the machine affects every path alike; 20 warm-up rounds.
      for (const [i, [, start, isDelta]] of paths.entries()) {
        const t = await time(start, isDelta);
        if (round >= 0) timings[i]?.push(t);
      }
    }
    const first = timings.map((ts) => median(ts.map((t) => t.firstMs)));
    const total = timings.map((ts) => median(ts.map((t) => t.totalMs)));
    // Per delta: from the first token to the end of the answer, so per-answer costs stay out.
    const perDelta = timings.map(
      (ts) => (median(ts.map((t) => t.totalMs - t.firstMs)) / (DELTAS - 1)) * 1000,
    );
    const [rawFirst = Number.NaN] = first;
    const [rawTotal = Number.NaN] = total;
    const [rawPerDelta = Number.NaN] = perDelta;
    console.log(
      `over HTTP (127.0.0.1), ${DELTAS} deltas per answer, median of ${ANSWERS} answers per path:`,
    );
    for (const [i, [name]] of paths.entries()) {
      const f = first[i] ?? Number.NaN;
      const t = total[i] ?? Number.NaN;
      const d = perDelta[i] ?? Number.NaN;
      if (i === 0) {
        console.log(
          `  ${name}: first token ${fmt(f)} ms, whole answer ${fmt(t)} ms, ${fmt(d)} µs/delta`,
        );
        continue;
      }
      const addedFirst = f - rawFirst;
      const verdict = addedFirst <= 1 ? "met" : "MISSED";
      console.log(
        `  ${name}: first token ${fmt(f)} ms (${signed(addedFirst)} ms, ${ratio(f, rawFirst)}; ` +
          `target added ≤ 1 ms: ${verdict}); whole answer ${fmt(t)} ms (${ratio(t, rawTotal)}); ` +
          `${fmt(d)} µs/delta (${signed(d - rawPerDelta)} µs, ${ratio(d, rawPerDelta)})`,
      );
    }
  } finally {
    await server.close();
  }

  // In process: the agent's own cost per delta, with a model that streams from memory, beside
  // hand-written native generators doing the same forwarding (and re-stamping, for a workflow).
  const memory: Model = {
    id: "memory",
    async *stream(): AsyncGenerator<ModelChunk> {
      for (let i = 0; i < MEMORY_DELTAS; i++) yield { type: "text-delta", text: "x" };
      yield { type: "finish", reason: "stop" };
    },
  };
  async function* nativeAgent() {
    let text = "";
    for await (const chunk of memory.stream({ messages: [], tools: [] })) {
      if (chunk.type !== "text-delta") continue;
      text += chunk.text;
      yield {
        event: "RunResponseContent",
        runId: "r",
        sessionId: "",
        workflowId: "",
        createdAt: Date.now(),
        agentName: "agent",
        content: chunk.text,
      };
    }
    yield { event: "RunCompleted", content: text };
  }
  async function* nativeWorkflow() {
    const ids = { runId: "w", sessionId: "s", workflowId: "wf" };
    let content = "";
    for await (const event of nativeAgent()) {
      if (event.event === "RunResponseContent") content += event.content;
      yield { ...event, ...ids };
    }
    yield { event: "WorkflowCompleted", ...ids, content };
  }
  const inMemory = agent({ model: memory });
  const inWorkflow = defineWorkflow(async function* memoryRun(ctx) {
    yield* inMemory.stream("Go", ctx);
  });
  const perDelta = (ms: number) => (ms * 1e6) / MEMORY_DELTAS;
  const rounds = 9;
  const floor = await medianMs(() => drain(memory.stream({ messages: [], tools: [] })), rounds);
  const native = await medianMs(() => drain(nativeAgent()), rounds);
  const ours = await medianMs(() => drain(inMemory.stream("Go")), rounds);
  const nativeWf = await medianMs(() => drain(nativeWorkflow()), rounds);
  const throughWorkflow = await medianMs(
    () => drain(execute(inWorkflow, undefined, { logger: quiet })),
    rounds,
  );
  console.log(
    `in process, ${MEMORY_DELTAS.toLocaleString("en")} deltas from a model in memory (draining the model alone: ${fmt(perDelta(floor))} ns/delta):`,
  );
  report(
    "  agent.stream vs a native forwarding generator",
    perDelta(ours),
    perDelta(native),
    "ns/delta",
  );
  report(
    "  execute + yield* agent.stream vs native forward + re-stamp",
    perDelta(throughWorkflow),
    perDelta(nativeWf),
    "ns/delta",
  );
}

function isContent(e: unknown): boolean {
  return (e as { event?: string }).event === "RunResponseContent";
}

async function drain(items: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of items);
}

function fmt(value: number): string {
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(3);
}

function signed(value: number): string {
  return `${value >= 0 ? "+" : "−"}${fmt(Math.abs(value))}`;
}

function ratio(ours: number, baseline: number): string {
  return `${(ours / baseline).toFixed(2)}×`;
}
