/**
 * The ways `actual` differs from `expected`, path by path (empty when they are exactly alike):
 * same prototypes, same own keys in the same order, own data values compared with `Object.is`,
 * `Date` times, `Map` entries and `Set` items in order. Unlike `toStrictEqual` it reads keys
 * such as `constructor` and `__proto__` as the data they are, and it checks key order.
 */
export function differences(actual: unknown, expected: unknown, path = "value"): string[] {
  const found: string[] = [];
  compare(actual, expected, path, found);
  return found;
}

const maxReported = 10;

function compare(actual: unknown, expected: unknown, path: string, found: string[]): void {
  if (found.length >= maxReported) return;
  if (typeof expected !== "object" || expected === null) {
    if (!Object.is(actual, expected)) found.push(`${path}: ${show(actual)}, not ${show(expected)}`);
    return;
  }
  if (typeof actual !== "object" || actual === null) {
    found.push(`${path}: ${show(actual)}, not an object`);
    return;
  }
  if (Object.getPrototypeOf(actual) !== Object.getPrototypeOf(expected)) {
    found.push(`${path}: another prototype`);
    return;
  }
  if (expected instanceof Date) {
    compare((actual as Date).getTime(), expected.getTime(), `${path}.getTime()`, found);
    return;
  }
  if (expected instanceof Map) {
    compare([...(actual as Map<unknown, unknown>)], [...expected], `${path}.entries()`, found);
    return;
  }
  if (expected instanceof Set) {
    compare([...(actual as Set<unknown>)], [...expected], `${path}.values()`, found);
    return;
  }
  const keys = Reflect.ownKeys(expected);
  const actualKeys = Reflect.ownKeys(actual);
  if (keys.length !== actualKeys.length || keys.some((key, i) => key !== actualKeys[i])) {
    found.push(`${path}: keys ${show(actualKeys)}, not ${show(keys)}`);
    return;
  }
  for (const key of keys) {
    const a = Object.getOwnPropertyDescriptor(actual, key);
    const e = Object.getOwnPropertyDescriptor(expected, key);
    const at = `${path}[${show(key)}]`;
    if (a === undefined || e === undefined || !("value" in a) || a.enumerable !== e.enumerable) {
      found.push(`${at}: not an own enumerable data property`);
    } else {
      compare(a.value, e.value, at, found);
    }
  }
}

function show(value: unknown): string {
  let text: string;
  if (typeof value === "string") text = JSON.stringify(value);
  else if (typeof value === "bigint") text = `${value}n`;
  else if (Array.isArray(value)) text = `[${value.map(show).join(", ")}]`;
  else text = String(value);
  return text.length > 80 ? `${text.slice(0, 80)}… (${text.length} characters)` : text;
}
