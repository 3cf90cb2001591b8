import SuperJSON from "superjson";
import { restoreKeys } from "./reserved-keys.js";
import { prepareStorable } from "./storable-value.js";

export { maxStoredDepth } from "./storable-value.js";

/**
 * Encodes a value for storage with superjson: JSON values plus `Date`, `Map`, `Set`, `BigInt`
 * (and `undefined`, `NaN`, `±Infinity`, `-0`) round-trip exactly. Refuses, before encoding, any
 * value that would not round-trip, with an `UnstorableValueError` naming its path (e.g.
 * `sessionState.user.onSave is a function`).
 */
export function encodeStoredValue(value: unknown, path: string): string {
  const prepared = prepareStorable(value, path);
  // Plain JSON (no Date/Map/Set/BigInt/undefined/NaN/±Infinity/-0, no shared objects) needs no
  // annotations, and superjson would write exactly this.
  return prepared.plain
    ? `{"json":${JSON.stringify(prepared.value)}}`
    : SuperJSON.stringify(prepared.value);
}

const emptyObject = '{"json":{}}';
const emptyArray = '{"json":[]}';

/**
 * Decodes text written by {@link encodeStoredValue}. Throws whatever the parser throws on bad
 * input (callers wrap it in a named error); never assigns to a prototype: `__proto__` keys come
 * back as own data properties.
 */
export function decodeStoredValue(text: string): unknown {
  // Most runs store empty metrics, messages and extra data: no parse for those.
  if (text === emptyObject) return {};
  if (text === emptyArray) return [];
  const value: unknown = SuperJSON.parse(text);
  // Escaped keys contain a NUL, which JSON always writes as \u0000: skip the walk without one.
  return text.includes("\\u0000") ? restoreKeys(value) : value;
}
