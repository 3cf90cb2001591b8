/** Checks a `limit` option: a non-negative integer. */
export function queryLimit(value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`limit must be a non-negative integer, got ${value}`);
  }
  return value;
}
