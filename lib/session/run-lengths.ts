/**
 * Counts `value` into run-length encoded `runs` (`[value, how many…]`), whose last pair is the
 * run being counted: one more of the same value bumps its count in place.
 */
export function countRun(runs: number[], value: number): void {
  const last = runs.length - 1;
  if (last > 0 && runs[last - 1] === value) runs[last] = (runs[last] as number) + 1;
  else runs.push(value, 1);
}

/** Expands run-length encoded `runs` (`[value, how many…]`). */
export function expand(runs: readonly number[]): number[] {
  const values: number[] = [];
  for (let k = 0; k < runs.length; k += 2) {
    for (let n = runs[k + 1] ?? 0; n > 0; n--) values.push(runs[k] ?? 0);
  }
  return values;
}
