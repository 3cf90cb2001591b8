// superjson refuses these keys outright (its prototype-pollution guard), yet they are legitimate
// data keys of a plain object. They are stored with one extra leading NUL and restored on decode;
// keys that already start with NULs followed by one of these words get one more NUL, so the
// mapping is reversible.
const reservedWords = new Set(["__proto__", "constructor", "prototype"]);

/** `__proto__`, `constructor`, `prototype`, each with any number of leading NULs. */
export function isReserved(key: string): boolean {
  if (key.charCodeAt(0) !== 0) return reservedWords.has(key);
  return reservedWords.has(key.slice(leadingNuls(key)));
}

/** A reserved key as {@link escapeKey} wrote it (at least one leading NUL). */
function isEscaped(key: string): boolean {
  return key.charCodeAt(0) === 0 && reservedWords.has(key.slice(leadingNuls(key)));
}

function leadingNuls(key: string): number {
  let n = 0;
  while (key.charCodeAt(n) === 0) n++;
  return n;
}

export function escapeKey(key: string): string {
  return isReserved(key) ? `\u0000${key}` : key;
}

/**
 * Sets an own enumerable data property, also for `__proto__` (never the prototype). A key that
 * `Object.prototype` lacks is assigned: on a plain object that makes the same property, several
 * times faster. Any other is defined, so that neither an accessor nor a frozen `Object.prototype`
 * (whose `toString` an assignment may not shadow) can get in the way.
 */
export function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (!(key in Object.prototype)) {
    target[key] = value;
    return;
  }
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** Undoes the key escaping of `escapeKey` on a freshly decoded value (in place where safe). */
export function restoreKeys(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = restoreKeys(value[i]);
    return value;
  }
  if (value instanceof Map) {
    return new Map([...value].map(([k, v]) => [restoreKeys(k), restoreKeys(v)]));
  }
  if (value instanceof Set) return new Set([...value].map(restoreKeys));
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    defineOwn(out, isEscaped(key) ? key.slice(1) : key, restoreKeys(record[key]));
  }
  return out;
}
