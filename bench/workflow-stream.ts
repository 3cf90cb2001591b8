import {
  AsyncIterableX,
  from as fromEsnext,
} from "@reactivex/ix-esnext-esm/asynciterable/asynciterablex";
import { execute, run } from "buddy-ai";
import { from as fromNpm } from "ix/asynciterable";
import { medianMs, report } from "./support/measure.js";

const DELTAS = 1_000_000;
const quiet = { warn: () => {}, debug: () => {} };

async function* deltas(): AsyncGenerator<string> {
  for (let i = 0; i < DELTAS; i++) yield "x";
}

/** The baseline: one hand-written native async generator stamping and accumulating. */
async function* nativeRun(): AsyncGenerator<Record<string, unknown>> {
  const ids = { runId: "r", sessionId: "s", workflowId: "w" };
  yield { event: "WorkflowStarted", ...ids, createdAt: Date.now(), workflowName: "w" };
  let content = "";
  for await (const delta of deltas()) {
    content += delta;
    yield {
      event: "RunResponseContent",
      runId: ids.runId,
      sessionId: ids.sessionId,
      workflowId: ids.workflowId,
      createdAt: Date.now(),
      content: delta,
    };
  }
  yield { event: "WorkflowCompleted", ...ids, createdAt: Date.now(), content };
}

async function drain(events: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of events) n++;
  return n;
}

/** (a) ns per event through `execute` vs the native generator; (b) µs per `run()` vs a call. */
export async function main(): Promise<void> {
  console.log("\n# workflow stream");
  const perEvent = (ms: number) => (ms * 1e6) / DELTAS;
  const ours = await medianMs(() => drain(execute(deltas, undefined, { logger: quiet })));
  const baseline = await medianMs(() => drain(nativeRun()));
  report("(a) execute, 1,000,000 string deltas", perEvent(ours), perEvent(baseline), "ns/event", 2);

  const npm = await medianMs(() => drain(fromNpm(deltas())), 3);
  const esnext = await medianMs(() => drain(fromEsnext(deltas())), 3);
  const plain = await medianMs(() => drain(deltas()), 3);
  report("    IxJS from(), npm `ix` (down-levelled)", perEvent(npm), perEvent(plain), "ns/item");
  report("    IxJS from(), @reactivex/ix-esnext-esm", perEvent(esnext), perEvent(plain), "ns/item");
  const stream = execute(deltas, undefined, { logger: quiet });
  console.log(`    execute() returns an AsyncIterableX: ${stream instanceof AsyncIterableX}`);

  const RUNS = 20_000;
  const trivial = async () => "done";
  const runs = await medianMs(async () => {
    for (let i = 0; i < RUNS; i++) await run(trivial, undefined);
  });
  const calls = await medianMs(async () => {
    for (let i = 0; i < RUNS; i++) await trivial();
  });
  report(
    "(b) run() of a trivial workflow, no storage",
    (runs * 1e3) / RUNS,
    (calls * 1e3) / RUNS,
    "µs/run",
  );
}
