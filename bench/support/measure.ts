/**
 * Shared measuring for the benches. Sides take turns in short rounds (a busy machine slows all of
 * them alike; the side going first alternates), each round starts after a full GC (no side pays
 * for garbage another one left), and each side's figure is its median round with the spread
 * (fastest–slowest round) beside it.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** A full GC: `gc` under `--expose-gc` (as `npm run bench` runs), otherwise exposed on the fly. */
export const collectGarbage: () => void = globalThis.gc ?? exposeGc();

function exposeGc(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

/** One side of a comparison. */
export interface Side {
  /** One run; a round times `runs` calls, one after the other. */
  step(i: number): unknown;
  /** Untimed work before each of this side's rounds (before the GC). */
  prepare?(): unknown;
}

export interface RoundOptions {
  /** Timed rounds per side. */
  readonly rounds: number;
  /** Runs (calls of `step`) per round. */
  readonly runs: number;
  /** Untimed rounds per side first. Default 1. */
  readonly warmup?: number;
  /** Multiplies µs per run into the figures' unit (e.g. `1e3 / items` for ns per item). */
  readonly scale?: number;
}

/** A side's figure over its rounds: the median, and the fastest and slowest round. */
export interface Figure {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** µs (× `scale`) per run of each side: interleaved rounds, a GC before each; a figure each. */
export async function interleave<const T extends readonly Side[]>(
  sides: T,
  options: RoundOptions,
): Promise<{ [K in keyof T]: Figure }> {
  return (await roundTimes(sides, options)).map(figure) as { [K in keyof T]: Figure };
}

/** What {@link interleave} measures: µs (× `scale`) per run of each round, by side. */
async function roundTimes(
  sides: readonly Side[],
  { rounds, runs, warmup = 1, scale = 1 }: RoundOptions,
): Promise<number[][]> {
  const entries = [...sides.entries()];
  const times = sides.map((): number[] => []);
  let i = 0;
  for (let round = -warmup; round < rounds; round++) {
    for (const [k, side] of round % 2 === 0 ? entries : [...entries].reverse()) {
      await side.prepare?.();
      collectGarbage();
      const start = performance.now();
      for (let n = 0; n < runs; n++) await side.step(i++);
      const us = ((performance.now() - start) * 1000) / runs;
      if (round >= 0) times[k]?.push(us * scale);
    }
  }
  return times;
}

/** The median and range of some values. */
export function figure(values: readonly number[]): Figure {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (index: number) => sorted[index] ?? Number.NaN;
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
  return { median, min: at(0), max: at(sorted.length - 1) };
}

/** A figure through a monotonic conversion (e.g. µs per round → runs/s, which swaps the ends). */
export function convert(value: Figure, f: (x: number) => number): Figure {
  const [min, max] = [f(value.min), f(value.max)].sort((a, b) => a - b);
  return { median: f(value.median), min: min ?? Number.NaN, max: max ?? Number.NaN };
}

/** Runs `fn` `rounds` times after one warm-up call; returns the median duration in ms. */
export async function medianMs(fn: () => Promise<unknown> | unknown, rounds = 5): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return figure(times).median;
}

/**
 * Prints one comparison line: our figure and the baseline's (median, and the rounds' range), the
 * ratio ours/baseline of the medians, and whether it meets `target` (a ratio not to exceed).
 * Given `paired` (ratios of ours to the baseline measured side by side, e.g. by
 * `workerRounds`), the ratio printed and judged is their median, with their range.
 */
export function report(
  name: string,
  ours: Figure | number,
  baseline: Figure | number,
  unit: string,
  target?: number,
  paired?: Figure,
): void {
  const median = (value: Figure | number) => (typeof value === "number" ? value : value.median);
  const ratio = paired?.median ?? median(ours) / median(baseline);
  const range =
    paired === undefined
      ? ""
      : ` [${paired.min.toFixed(2)}–${paired.max.toFixed(2)}] (median of generations' ratios)`;
  const verdict =
    target === undefined ? "" : `  (target ≤ ${target}×: ${ratio <= target ? "met" : "MISSED"})`;
  console.log(
    `${name}: ${show(ours)} ${unit} vs baseline ${show(baseline)} ${unit} → ${ratio.toFixed(2)}×${range}${verdict}`,
  );
}

function show(value: Figure | number): string {
  return typeof value === "number"
    ? format(value)
    : `${format(value.median)} [${format(value.min)}–${format(value.max)}]`;
}

function format(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString("en-US") : value.toFixed(2);
}
