import { UnstorableValueError } from "../errors.js";
import { defineOwn, escapeKey, isReserved } from "./reserved-keys.js";

/** Values nested deeper than this are refused before encoding (and never reach the serializer). */
export const maxStoredDepth = 1000;

const identifier = /^[A-Za-z_$][\w$]*$/;

/** State of one encoding walk. */
interface Walk {
  /** Objects on the path from the root to the current value (a repeat is a cycle). */
  readonly ancestors: Set<object>;
  /** Every object visited (a repeat is a shared reference, which superjson preserves). */
  readonly seen: Set<object>;
  /** Still true when the value is plain JSON that JSON.stringify writes exactly. */
  plain: boolean;
}

/**
 * Checks that `value` can be stored and round-trip exactly: JSON values plus `Date`, `Map`, `Set`,
 * `BigInt`, `undefined`, `NaN`, `±Infinity`, `-0`, at most {@link maxStoredDepth} levels deep,
 * without cycles. Throws an {@link UnstorableValueError} naming the first offending path. Returns
 * the value (a copy where reserved keys had to be escaped) and whether it is plain JSON.
 */
export function prepareStorable(value: unknown, path: string): { value: unknown; plain: boolean } {
  const walk: Walk = { ancestors: new Set(), seen: new Set(), plain: true };
  const prepared = prepare(value, path, 0, walk);
  return { value: prepared, plain: walk.plain };
}

/**
 * Settles a primitive that needs no path (all but functions and symbols): true when `value` is
 * one. The walk then skips making the path, which only an error needs.
 */
function settled(value: unknown, walk: Walk): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      if (!Number.isFinite(value) || Object.is(value, -0)) walk.plain = false;
      return true;
    case "bigint":
    case "undefined":
      walk.plain = false;
      return true;
  }
  return value === null;
}

/** Checks one value; returns it, or a copy with reserved keys escaped when it holds any. */
function prepare(value: unknown, path: string, depth: number, walk: Walk): unknown {
  if (settled(value, walk)) return value;
  if (typeof value === "function") throw new UnstorableValueError(path, "a function");
  if (typeof value === "symbol") throw new UnstorableValueError(path, "a symbol");
  const object = value as object;
  if (depth >= maxStoredDepth) {
    throw new UnstorableValueError(
      path,
      `nested deeper than ${maxStoredDepth} levels`,
      "flatten it, or keep such data outside session state",
    );
  }
  if (walk.ancestors.has(object)) {
    throw new UnstorableValueError(
      path,
      "a circular reference to one of its parents",
      "store data without cycles (refer to parents by id instead)",
    );
  }
  if (walk.seen.has(object)) walk.plain = false;
  walk.seen.add(object);
  walk.ancestors.add(object);
  try {
    return prepareObject(object, path, depth + 1, walk);
  } finally {
    walk.ancestors.delete(object);
  }
}

function prepareObject(value: object, path: string, depth: number, walk: Walk): unknown {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Array.prototype) {
    const array = value as unknown[];
    let copy: unknown[] | undefined;
    for (let i = 0; i < array.length; i++) {
      const item = array[i];
      if (settled(item, walk) && (item !== undefined || i in array)) continue;
      const at = `${path}[${i}]`;
      if (!(i in array)) throw new UnstorableValueError(at, "an empty array slot", "use null");
      const next = prepare(item, at, depth, walk);
      if (next !== array[i]) {
        copy ??= array.slice();
        copy[i] = next;
      }
    }
    return copy ?? array;
  }
  if (proto === Object.prototype || proto === null) return preparePlain(value, path, depth, walk);
  walk.plain = false;
  if (proto === Date.prototype) {
    if (Number.isNaN((value as Date).getTime())) {
      throw new UnstorableValueError(path, "an invalid Date");
    }
    return value;
  }
  if (proto === Map.prototype) {
    const map = value as Map<unknown, unknown>;
    let changed = false;
    const entries = [...map].map(([key, item], i): [unknown, unknown] => {
      const k = prepare(key, `${path}.keys()[${i}]`, depth, walk);
      const v = prepare(item, `${path}.get(${describeKey(key, i)})`, depth, walk);
      changed ||= k !== key || v !== item;
      return [k, v];
    });
    return changed ? new Map(entries) : map;
  }
  if (proto === Set.prototype) {
    const set = value as Set<unknown>;
    let changed = false;
    const items = [...set].map((item, i) => {
      const next = prepare(item, `${path}.values()[${i}]`, depth, walk);
      changed ||= next !== item;
      return next;
    });
    return changed ? new Set(items) : set;
  }
  if (isReplacedPrototype(proto)) {
    throw new UnstorableValueError(
      path,
      "an object whose prototype was replaced (e.g. by assigning a __proto__ key)",
      "copy untrusted keys with Object.defineProperty or Object.fromEntries, which keep __proto__ " +
        "as a plain key",
    );
  }
  throw new UnstorableValueError(path, describeInstance(value));
}

/** A prototype no class owns: that of an object whose `__proto__` was assigned an object. */
function isReplacedPrototype(proto: unknown): boolean {
  if (typeof proto !== "object" || proto === null) return false;
  const ctor: unknown = (proto as { constructor?: unknown }).constructor;
  return typeof ctor !== "function" || ctor.prototype !== proto;
}

function preparePlain(
  value: object,
  path: string,
  depth: number,
  walk: Walk,
): Record<string, unknown> {
  const record = value as Record<string, unknown>;
  if (Object.getOwnPropertySymbols(record).length > 0) {
    throw new UnstorableValueError(path, "an object with symbol keys");
  }
  let copy: Record<string, unknown> | undefined;
  const keys = Object.keys(record);
  for (const key of keys) {
    const item = record[key];
    const next = settled(item, walk) ? item : prepare(item, childPath(path, key), depth, walk);
    if (copy === undefined && (next !== item || isReserved(key))) {
      copy = {};
      for (const earlier of keys) {
        if (earlier === key) break;
        defineOwn(copy, escapeKey(earlier), record[earlier]);
      }
    }
    if (copy !== undefined) defineOwn(copy, escapeKey(key), next);
  }
  return copy ?? record;
}

function childPath(path: string, key: string): string {
  return identifier.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function describeKey(key: unknown, index: number): string {
  if (typeof key === "string") return JSON.stringify(key);
  if (typeof key === "number" || typeof key === "boolean") return String(key);
  if (typeof key === "bigint") return `${key}n`;
  return `<key ${index}>`;
}

function describeInstance(value: object): string {
  const ctor: unknown = (value as { constructor?: unknown }).constructor;
  return typeof ctor === "function" && ctor.name !== ""
    ? `an instance of ${ctor.name}`
    : "an instance of a class";
}
