import { defineOwn } from "./reserved-keys.js";

type State = Record<string, unknown>;

function isPlainObject(value: unknown): value is State {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Copies plain objects, arrays, `Date`s, `Map`s and `Set`s deeply (sharing and cycles preserved
 * through `copies`); anything else (functions, class instances) is kept by reference and refused
 * later, when the state is saved.
 */
function copy(value: unknown, copies: Map<object, unknown>): unknown {
  if (typeof value !== "object" || value === null) return value;
  const done = copies.get(value);
  if (done !== undefined) return done;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    copies.set(value, out);
    for (const item of value) out.push(copy(item, copies));
    return out;
  }
  if (value instanceof Date) return new Date(value.getTime());
  if (value instanceof Map) {
    const out = new Map<unknown, unknown>();
    copies.set(value, out);
    for (const [k, v] of value) out.set(k, copy(v, copies));
    return out;
  }
  if (value instanceof Set) {
    const out = new Set<unknown>();
    copies.set(value, out);
    for (const item of value) out.add(copy(item, copies));
    return out;
  }
  if (!isPlainObject(value)) return value;
  const out: State = {};
  copies.set(value, out);
  for (const key of Object.keys(value)) defineOwn(out, key, copy(value[key], copies));
  return out;
}

/** `top` over `base`, recursing where both hold a plain object; `base` is already a copy. */
function mergeInto(base: State, top: State, copies: Map<object, unknown>): State {
  for (const key of Object.keys(top)) {
    const current = Object.hasOwn(base, key) ? base[key] : undefined;
    const value = top[key];
    defineOwn(
      base,
      key,
      isPlainObject(current) && isPlainObject(value)
        ? mergeInto(current, value, copies)
        : copy(value, copies),
    );
  }
  return base;
}

/**
 * Deep-merges stored session state with the caller's defaults: stored values win, unless
 * `overwrite` is true, in which case the defaults win. Plain objects merge key by key; any other
 * value (array, `Map`, `Set`, `Date`…) replaces. The result is a fresh copy: inputs are not
 * mutated, and mutating the result never reaches them. `__proto__` keys stay plain data.
 */
export function mergeSessionState(stored: State, defaults: State, overwrite: boolean): State {
  const [base, top] = overwrite ? [stored, defaults] : [defaults, stored];
  const copies = new Map<object, unknown>();
  return mergeInto(copy(base, copies) as State, top, copies);
}
