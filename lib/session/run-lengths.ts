/** Expands run-length encoded `runs` (`[value, how many…]`). */
export function expand(runs: readonly number[]): number[] {
  const values: number[] = [];
  for (let k = 0; k < runs.length; k += 2) {
    for (let n = runs[k + 1] ?? 0; n > 0; n--) values.push(runs[k] ?? 0);
  }
  return values;
}
