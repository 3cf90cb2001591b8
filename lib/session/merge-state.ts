type State = Record<string, unknown>;

function isPlainObject(value: unknown): value is State {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function merge(base: State, top: State): State {
  const out: State = {};
  for (const [key, value] of Object.entries(base)) define(out, key, value);
  for (const [key, value] of Object.entries(top)) {
    const current = Object.hasOwn(out, key) ? out[key] : undefined;
    define(
      out,
      key,
      isPlainObject(current) && isPlainObject(value) ? merge(current, value) : value,
    );
  }
  return out;
}

function define(target: State, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/**
 * Deep-merges stored session state with the caller's defaults: stored values win, unless
 * `overwrite` is true, in which case the defaults win. Plain objects merge key by key; any other
 * value replaces. Inputs are not mutated; `__proto__` keys stay plain data.
 */
export function mergeSessionState(stored: State, defaults: State, overwrite: boolean): State {
  return overwrite ? merge(stored, defaults) : merge(defaults, stored);
}
