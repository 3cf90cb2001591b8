/**
 * The event log of runs served over HTTP: (a) a 10,000-delta persisted run (SQLite) keeping its
 * events in the store vs the same run without the log, as time per run and tokens/s (target:
 * the log costs at most 10%), the deltas yielded by the workflow as fast as it can, then
 * streamed by an agent; each side in processes of its own (bench/event-log-worker.ts), fresh
 * ones over ten generations, one process alive at a time, the ratio judged generation by
 * generation (see `workerRounds`); (b) SSE framing (`toSSEResponse`,
 * the response body read to its end) vs the bare event stream, per event, in this process.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineWorkflow, execute } from "buddy-ai";
import { toSSEResponse } from "buddy-ai/http";
import { type Figure, interleave, report } from "./support/measure.js";
import { drain } from "./support/stream-workload.js";
import { startWorker, workerRounds } from "./support/worker-process.js";
import { quiet } from "./support/workload.js";

const DELTAS = 10_000;
const RUNS = 5;

const tokens = defineWorkflow(async function* tokens(_ctx, count: number) {
  for (let i = 0; i < count; i++) yield "tok ";
});

async function drainBody(response: Response): Promise<number> {
  let bytes = 0;
  for await (const chunk of response.body as ReadableStream<Uint8Array>) bytes += chunk.byteLength;
  return bytes;
}

export async function main(): Promise<void> {
  console.log("\n# event log and SSE (median [fastest–slowest] of the rounds)");
  const dir = mkdtempSync(join(tmpdir(), "buddy-bench-log-"));
  try {
    for (const source of ["workflow", "agent"] as const) {
      const start = (side: "logged" | "plain") =>
        startWorker("event-log-worker.ts", {
          side,
          source,
          file: join(dir, `${source}-${side}.db`),
          deltas: DELTAS,
          runs: RUNS,
        });
      // Each side in fresh processes, one at a time, five rounds each: no one process's luck
      // decides, and neither side's GC runs beside the other's rounds.
      const sides = ["logged", "plain"] as const;
      const { sides: figures, ratio } = await workerRounds(2, (k) => start(sides[k] ?? "plain"), {
        generations: 10,
        rounds: 5,
        runs: RUNS,
        scale: 1,
      });
      const [withLog, without] = figures as [Figure, Figure];
      const what =
        source === "workflow"
          ? "yielded by the workflow"
          : "streamed by an agent (`yield* agent.stream(p, ctx)`)";
      report(
        `(a) persisted run of ${DELTAS.toLocaleString("en-US")} deltas ${what}, with the event log`,
        withLog,
        without,
        "µs/run",
        1.1,
        ratio,
      );
      const perSecond = (us: number) => Math.round((DELTAS / us) * 1e6).toLocaleString("en-US");
      console.log(
        `    tokens/s: ${perSecond(withLog.median)} with the log, ${perSecond(without.median)} without`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const EVENTS = 100_000;
  const [framed, bare] = await interleave(
    [
      { step: () => drainBody(toSSEResponse(execute(tokens, EVENTS, { logger: quiet }))) },
      { step: () => drain(execute(tokens, EVENTS, { logger: quiet })) },
    ],
    { rounds: 7, runs: 1, scale: 1e3 / EVENTS },
  );
  report("(b) SSE framing: toSSEResponse body read to the end", framed, bare, "ns/event");
  console.log(`    framing costs ${Math.round(framed.median - bare.median)} ns per event`);
}
