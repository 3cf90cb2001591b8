/**
 * The event log of runs served over HTTP: (a) a 10,000-delta persisted run (SQLite) keeping its
 * events in the store vs the same run without the log, as time per run and tokens/s (target:
 * the log costs at most 10%); (b) SSE framing (`toSSEResponse`, the response body read to its
 * end) vs the bare event stream, per event.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineWorkflow, execute } from "buddy-ai";
import { toSSEResponse } from "buddy-ai/http";
import { sqliteStorage } from "buddy-ai/sqlite";
import { interleave, report } from "./support/measure.js";
import { quiet } from "./support/workload.js";

const DELTAS = 10_000;

const tokens = defineWorkflow(async function* tokens(_ctx, count: number) {
  for (let i = 0; i < count; i++) yield "tok ";
});

async function drain(events: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of events) n++;
  return n;
}

async function drainBody(response: Response): Promise<number> {
  let bytes = 0;
  for await (const chunk of response.body as ReadableStream<Uint8Array>) bytes += chunk.byteLength;
  return bytes;
}

export async function main(): Promise<void> {
  console.log("\n# event log and SSE (median [fastest–slowest] of the rounds)");
  const dir = mkdtempSync(join(tmpdir(), "buddy-bench-log-"));
  const storage = sqliteStorage({ dbFile: join(dir, "log.db") });
  try {
    const options = { storage, logger: quiet };
    const [logged, plain] = await interleave(
      [
        { step: () => drain(execute(tokens, DELTAS, { ...options, eventLog: true })) },
        { step: () => drain(execute(tokens, DELTAS, options)) },
      ],
      { rounds: 11, runs: 1, warmup: 2 },
    );
    report(
      `(a) persisted run of ${DELTAS.toLocaleString("en-US")} deltas, with the event log`,
      logged,
      plain,
      "µs/run",
      1.1,
    );
    const perSecond = (us: number) => Math.round((DELTAS / us) * 1e6).toLocaleString("en-US");
    console.log(
      `    tokens/s: ${perSecond(logged.median)} with the log, ${perSecond(plain.median)} without`,
    );
  } finally {
    await storage.close();
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
