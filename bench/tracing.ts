/**
 * What tracing costs. The same workloads as `workflow-stream` and the in-process part of
 * `agent-overhead`, in interleaved rounds, three ways: tracing off (`@opentelemetry/api` loaded,
 * no SDK registered: what every user without OpenTelemetry runs), tracing on (an SDK tracer
 * provider with the AsyncLocalStorage context manager and a no-op exporter: every span is made,
 * ended and handed to the exporter), and the native baseline. The provider is registered before
 * each "on" round and unregistered before each "off" round (a side's `prepare`).
 */
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import {
  agent,
  defineWorkflow,
  execute,
  type Model,
  type ModelChunk,
  run,
  type WorkflowContext,
} from "buddy-ai";
import { interleave, report } from "./support/measure.js";
import { drain, items, nativeRun } from "./support/stream-workload.js";
import { quiet } from "./support/workload.js";

const DELTAS = 1_000_000;
const AGENT_DELTAS = 200_000;

/** Takes every span and drops it. */
const noopExporter: SpanExporter = {
  export: (_spans: ReadableSpan[], done) => done({ code: 0 }),
  shutdown: async () => {},
};
const provider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(noopExporter)],
});
let spans = 0;
const counting = new SimpleSpanProcessor({
  export: (batch, done) => {
    spans += batch.length;
    done({ code: 0 });
  },
  shutdown: async () => {},
});
const countingProvider = new BasicTracerProvider({ spanProcessors: [counting] });
const contextManager = new AsyncLocalStorageContextManager();

function tracingOff(): void {
  trace.disable();
  context.disable();
}

function tracingOn(chosen: BasicTracerProvider = provider): void {
  tracingOff();
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(chosen);
}

/** The workflow: yields DELTAS string deltas. */
const deltas = () => items(DELTAS);

/** A model streaming AGENT_DELTAS deltas from memory. */
const memoryModel: Model = {
  id: "memory",
  async *stream(): AsyncGenerator<ModelChunk> {
    for (let i = 0; i < AGENT_DELTAS; i++) yield { type: "text-delta", text: "t" };
    yield { type: "finish", reason: "stop" };
  },
};
const writer = agent({ name: "writer", model: memoryModel });
const article = defineWorkflow(async function* article(ctx, prompt: string) {
  yield* writer.stream(prompt, ctx);
});

/** Native forward + re-stamp of the same deltas (the agent-overhead baseline). */
async function* nativeForward(): AsyncGenerator<Record<string, unknown>> {
  for await (const chunk of memoryModel.stream({ messages: [], tools: [] })) {
    if (chunk.type === "text-delta") {
      yield { event: "RunResponseContent", runId: "r", createdAt: Date.now(), content: chunk.text };
    }
  }
}

export async function main(): Promise<void> {
  console.log("\n# tracing: off (no SDK) / on (SDK, no-op exporter) vs native baseline");
  // Checks the spans are really made when on (and not when off) before timing anything.
  const oneStep = async (ctx: WorkflowContext) => String(await ctx.step("a", () => 1));
  tracingOn(countingProvider);
  await run(oneStep, undefined, { logger: quiet });
  const on = spans;
  tracingOff();
  await run(oneStep, undefined, { logger: quiet });
  console.log(`    spans per one-step run: on ${on}, off ${spans - on}`);

  const [off, traced, native] = await interleave(
    [
      { prepare: tracingOff, step: () => drain(execute(deltas, undefined, { logger: quiet })) },
      { prepare: tracingOn, step: () => drain(execute(deltas, undefined, { logger: quiet })) },
      { prepare: tracingOff, step: () => drain(nativeRun(DELTAS)) },
    ],
    { rounds: 7, runs: 1, scale: 1e3 / DELTAS },
  );
  report("(a) execute, 1,000,000 string deltas, tracing off", off, native, "ns/event", 2);
  report("    the same, tracing on", traced, native, "ns/event");
  report("    on vs off", traced, off, "ns/event");

  const trivial = async () => "done";
  const [runsOff, runsOn, calls] = await interleave(
    [
      { prepare: tracingOff, step: () => run(trivial, undefined, { logger: quiet }) },
      { prepare: tracingOn, step: () => run(trivial, undefined, { logger: quiet }) },
      { prepare: tracingOff, step: () => trivial() },
    ],
    { rounds: 15, runs: 2_000 },
  );
  report("(b) run() of a trivial workflow, tracing off", runsOff, calls, "µs/run");
  report("    the same, tracing on (1 span)", runsOn, calls, "µs/run");
  report("    on vs off", runsOn, runsOff, "µs/run");

  const stepped = async (ctx: WorkflowContext) => {
    await ctx.step("a", () => 1);
    await ctx.step("b", () => 2);
    return String(await ctx.step("c", () => 3));
  };
  const [stepsOff, stepsOn] = await interleave(
    [
      { prepare: tracingOff, step: () => run(stepped, undefined, { logger: quiet }) },
      { prepare: tracingOn, step: () => run(stepped, undefined, { logger: quiet }) },
    ],
    { rounds: 15, runs: 2_000 },
  );
  report("(c) run() with three steps, tracing on (4 spans) vs off", stepsOn, stepsOff, "µs/run");

  const [agentOff, agentOn, forward] = await interleave(
    [
      { prepare: tracingOff, step: () => drain(execute(article, "Write", { logger: quiet })) },
      { prepare: tracingOn, step: () => drain(execute(article, "Write", { logger: quiet })) },
      { prepare: tracingOff, step: () => drain(nativeForward()) },
    ],
    { rounds: 7, runs: 1, scale: 1e3 / AGENT_DELTAS },
  );
  report("(d) execute + yield* agent.stream, per token, tracing off", agentOff, forward, "ns");
  report("    the same, tracing on (3 spans)", agentOn, forward, "ns");
  report("    on vs off", agentOn, agentOff, "ns");
  tracingOff();
}
