/**
 * A run-length count being written (`[value, how many, value, how many…]`): the current value
 * and its count stay in fields until the value changes, so counting costs no array write.
 */
export class RunLengths {
  readonly #runs: number[] = [];
  #value = Number.NaN;
  #count = 0;

  add(value: number): void {
    if (value === this.#value) {
      this.#count++;
      return;
    }
    if (this.#count > 0) this.#runs.push(this.#value, this.#count);
    this.#value = value;
    this.#count = 1;
  }

  /** The runs, the current one included. */
  done(): number[] {
    if (this.#count > 0) this.#runs.push(this.#value, this.#count);
    this.#count = 0;
    return this.#runs;
  }
}

/** Expands run-length encoded `runs` (`[value, how many…]`). */
export function expand(runs: readonly number[]): number[] {
  const values: number[] = [];
  for (let k = 0; k < runs.length; k += 2) {
    for (let n = runs[k + 1] ?? 0; n > 0; n--) values.push(runs[k] ?? 0);
  }
  return values;
}
