import { UnstorableValueError } from "../errors.js";
import { defineOwn } from "./reserved-keys.js";
import { maxStoredDepth } from "./storable-value.js";

type State = Record<string, unknown>;

/** One step of the path from the state to a value: a key, an index, or written out. */
type Step = string | number | { readonly text: string };

/** A merge in progress: the copies made (sharing and cycles), and the path to where it is. */
interface Walk {
  readonly copies: Map<object, unknown>;
  readonly path: Step[];
}

const identifier = /^[A-Za-z_$][\w$]*$/;

/**
 * State nested deeper than the store keeps is refused here already (by path, like the save
 * would), rather than overflowing the stack.
 */
function tooDeep(walk: Walk): UnstorableValueError {
  const path = walk.path
    .map((step) => {
      if (typeof step === "number") return `[${step}]`;
      if (typeof step === "object") return step.text;
      return identifier.test(step) ? `.${step}` : `[${JSON.stringify(step)}]`;
    })
    .join("");
  return new UnstorableValueError(
    `sessionState${path}`,
    `nested deeper than ${maxStoredDepth} levels`,
    "flatten it, or keep such data outside session state",
  );
}

function isPlainObject(value: unknown): value is State {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Copies plain objects, arrays, `Date`s, `Map`s and `Set`s deeply (sharing and cycles preserved
 * through `copies`); anything else (functions, class instances) is kept by reference and refused
 * later, when the state is saved. `depth` counts the objects above `value`.
 */
function copy(value: unknown, walk: Walk, depth: number): unknown {
  if (typeof value !== "object" || value === null) return value;
  const done = walk.copies.get(value);
  if (done !== undefined) return done;
  if (depth >= maxStoredDepth) throw tooDeep(walk);
  const { copies, path } = walk;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    copies.set(value, out);
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      out.push(copy(value[i], walk, depth + 1));
      path.pop();
    }
    return out;
  }
  if (value instanceof Date) return new Date(value.getTime());
  if (value instanceof Map) {
    const out = new Map<unknown, unknown>();
    copies.set(value, out);
    let i = 0;
    for (const [k, v] of value) {
      path.push({ text: `.get(${typeof k === "string" ? JSON.stringify(k) : `<key ${i}>`})` });
      i++;
      out.set(k, copy(v, walk, depth + 1));
      path.pop();
    }
    return out;
  }
  if (value instanceof Set) {
    const out = new Set<unknown>();
    copies.set(value, out);
    let i = 0;
    for (const item of value) {
      path.push({ text: `.values()[${i++}]` });
      out.add(copy(item, walk, depth + 1));
      path.pop();
    }
    return out;
  }
  if (!isPlainObject(value)) return value;
  const out: State = {};
  copies.set(value, out);
  for (const key of Object.keys(value)) {
    path.push(key);
    defineOwn(out, key, copy(value[key], walk, depth + 1));
    path.pop();
  }
  return out;
}

/** `top` over `base`, recursing where both hold a plain object; `base` is already a copy. */
function mergeInto(base: State, top: State, walk: Walk, depth: number): State {
  if (depth >= maxStoredDepth) throw tooDeep(walk);
  for (const key of Object.keys(top)) {
    const current = Object.hasOwn(base, key) ? base[key] : undefined;
    const value = top[key];
    walk.path.push(key);
    defineOwn(
      base,
      key,
      isPlainObject(current) && isPlainObject(value)
        ? mergeInto(current, value, walk, depth + 1)
        : copy(value, walk, depth + 1),
    );
    walk.path.pop();
  }
  return base;
}

/**
 * Deep-merges stored session state with the caller's defaults: stored values win, unless
 * `overwrite` is true, in which case the defaults win. Plain objects merge key by key; any other
 * value (array, `Map`, `Set`, `Date`…) replaces. The result is a fresh copy: inputs are not
 * mutated, and mutating the result never reaches them. `__proto__` keys stay plain data. State
 * nested deeper than `maxStoredDepth` throws `UnstorableValueError` naming its path.
 */
export function mergeSessionState(stored: State, defaults: State, overwrite: boolean): State {
  const [base, top] = overwrite ? [stored, defaults] : [defaults, stored];
  const walk: Walk = { copies: new Map(), path: [] };
  return mergeInto(copy(base, walk, 0) as State, top, walk, 0);
}
