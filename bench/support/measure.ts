/** Runs `fn` `rounds` times after one warm-up round; returns the median duration in ms. */
export async function medianMs(fn: () => Promise<unknown> | unknown, rounds = 5): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

/** Prints one comparison line: our figure, the baseline's, and their ratio against a target. */
export function report(
  name: string,
  ours: number,
  baseline: number,
  unit: string,
  target?: number,
): void {
  const ratio = ours / baseline;
  const verdict =
    target === undefined
      ? ""
      : ratio <= target
        ? `  (target ≤ ${target}×: met)`
        : `  (target ≤ ${target}×: MISSED)`;
  console.log(
    `${name}: ${format(ours)} ${unit} vs baseline ${format(baseline)} ${unit} → ${ratio.toFixed(2)}×${verdict}`,
  );
}

function format(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(2);
}
