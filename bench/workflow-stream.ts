/**
 * The stream's cost per event and `run()`'s cost per run, without storage. (a) ns per event of
 * 1,000,000 string deltas through `execute`, consumed with `for await`, beside one hand-written
 * native async generator doing the same stamping and accumulation; IxJS `from()` per item in its
 * two ESM builds beside a plain generator. (b) µs per `run()` of a trivial workflow beside
 * calling the function. Interleaved rounds with a GC before each (bench/support/measure.ts).
 */
import {
  AsyncIterableX,
  from as fromEsnext,
} from "@reactivex/ix-esnext-esm/asynciterable/asynciterablex";
import { execute, run } from "buddy-ai";
import { from as fromNpm } from "ix/asynciterable";
import { interleave, report } from "./support/measure.js";
import { drain, items, nativeRun } from "./support/stream-workload.js";
import { quiet } from "./support/workload.js";

const DELTAS = 1_000_000;

/** The workflow: yields DELTAS string deltas. */
const deltas = () => items(DELTAS);

/** (a) ns per event through `execute` vs the native generator; (b) µs per `run()` vs a call. */
export async function main(): Promise<void> {
  console.log("\n# workflow stream (median [fastest–slowest] of the rounds)");
  const [ours, baseline] = await interleave(
    [
      { step: () => drain(execute(deltas, undefined, { logger: quiet })) },
      { step: () => drain(nativeRun(DELTAS)) },
    ],
    { rounds: 7, runs: 1, scale: 1e3 / DELTAS },
  );
  report("(a) execute, 1,000,000 string deltas", ours, baseline, "ns/event", 2);

  const ITEMS = 200_000;
  const [npm, esnext, plain] = await interleave(
    [
      { step: () => drain(fromNpm(items(ITEMS))) },
      { step: () => drain(fromEsnext(items(ITEMS))) },
      { step: () => drain(items(ITEMS)) },
    ],
    { rounds: 5, runs: 1, scale: 1e3 / ITEMS },
  );
  report("    IxJS from(), npm `ix` (down-levelled)", npm, plain, "ns/item");
  report("    IxJS from(), @reactivex/ix-esnext-esm", esnext, plain, "ns/item");
  const stream = execute(deltas, undefined, { logger: quiet });
  console.log(`    execute() returns an AsyncIterableX: ${stream instanceof AsyncIterableX}`);

  const trivial = async () => "done";
  const [runs, calls] = await interleave(
    [{ step: () => run(trivial, undefined, { logger: quiet }) }, { step: () => trivial() }],
    { rounds: 15, runs: 2_000 },
  );
  report("(b) run() of a trivial workflow, no storage", runs, calls, "µs/run");
}
