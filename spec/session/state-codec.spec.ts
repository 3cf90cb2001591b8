import { UnstorableValueError } from "buddy-ai";
import SuperJSON from "superjson";
import { describe, expect, it } from "vitest";
import { copyPlain, isPlainText } from "../../lib/session/plain-copy.js";
import {
  decodeStoredValue,
  encodeStoredValue,
  maxStoredDepth,
} from "../../lib/session/state-codec.js";
import { nested } from "../support/nested.js";

const roundTrip = (value: unknown) => decodeStoredValue(encodeStoredValue(value, "sessionState"));

class Point {
  constructor(readonly x: number) {}
}

describe("state codec", () => {
  it.each([
    ["JSON values", { s: "x", n: 1.5, b: false, z: null, a: [1, "2", [3]], o: { p: {} } }],
    ["Date", { at: new Date("2020-01-01T00:00:00.001Z") }],
    [
      "Map with any keys",
      {
        m: new Map<unknown, unknown>([
          [1, "a"],
          [{ k: 1 }, new Date(3)],
        ]),
      },
    ],
    ["Set", { s: new Set([1, "1", { one: 1 }]) }],
    ["BigInt", { big: -(2n ** 100n) }],
    [
      "undefined, NaN, Infinity",
      { u: undefined, list: [undefined], nan: Number.NaN, inf: Infinity },
    ],
    ["unicode and NUL", { text: "日本語 🌍 \u0000 \ud800 \u2028" }],
    ["a primitive root", 42n],
  ])("round-trips %s exactly", (_name, value) => {
    expect(roundTrip(value)).toStrictEqual(value);
  });

  it("round-trips -0 and shared references", () => {
    const shared = { id: 1 };
    const decoded = roundTrip({ zero: -0, a: shared, b: shared }) as Record<string, unknown>;
    expect(Object.is(decoded.zero, -0)).toBe(true);
    expect(decoded.a).toBe(decoded.b);
  });

  it("writes plain JSON in superjson's own format", () => {
    const value = { a: [1, { b: "c" }], d: null };
    expect(encodeStoredValue(value, "x")).toBe(SuperJSON.stringify(value));
    expect(SuperJSON.parse(encodeStoredValue({ at: new Date(1) }, "x"))).toEqual({
      at: new Date(1),
    });
  });

  it("round-trips the keys superjson refuses as own data keys", () => {
    const keys = [
      "__proto__",
      "constructor",
      "prototype",
      "\u0000constructor",
      "\u0000\u0000__proto__",
    ];
    const value: Record<string, unknown> = {};
    for (const [i, key] of keys.entries()) {
      Object.defineProperty(value, key, { value: { i, at: new Date(i) }, enumerable: true });
    }
    const decoded = roundTrip({ inner: value }) as { inner: Record<string, unknown> };
    expect(Object.keys(decoded.inner)).toEqual(keys);
    for (const [i, key] of keys.entries()) {
      expect(Object.getOwnPropertyDescriptor(decoded.inner, key)?.value).toEqual({
        i,
        at: new Date(i),
      });
    }
    expect(Object.getPrototypeOf(decoded.inner)).toBe(Object.prototype);
  });

  it.each([
    ["a function", { user: { onSave() {} } }, "sessionState.user.onSave is a function"],
    ["a symbol", { list: [1, Symbol("s")] }, "sessionState.list[1] is a symbol"],
    ["symbol keys", { o: { [Symbol("k")]: 1 } }, "sessionState.o is an object with symbol keys"],
    ["a class instance", { p: new Point(1) }, "sessionState.p is an instance of Point"],
    ["a RegExp", { r: /x/ }, "sessionState.r is an instance of RegExp"],
    ["a boxed string", { s: Object("x") }, "sessionState.s is an instance of String"],
    ["a typed array", { t: new Uint8Array(2) }, "sessionState.t is an instance of Uint8Array"],
    ["a promise", { p: Promise.resolve() }, "sessionState.p is an instance of Promise"],
    ["an invalid Date", { d: new Date(Number.NaN) }, "sessionState.d is an invalid Date"],
    [
      "an array hole",
      { a: Object.assign([1], { 2: 3 }) },
      "sessionState.a[1] is an empty array slot",
    ],
    ["a Map key", { m: new Map([[{ f() {} }, 1]]) }, "sessionState.m.keys()[0].f is a function"],
    ["a Map value", { m: new Map([["k", () => 1]]) }, 'sessionState.m.get("k") is a function'],
    ["a Set item", { s: new Set([1, () => 1]) }, "sessionState.s.values()[1] is a function"],
    ["an odd key", { "my key": { f() {} } }, 'sessionState["my key"].f is a function'],
  ])("refuses %s, naming its path", (_name, value, message) => {
    let error: unknown;
    try {
      encodeStoredValue(value, "sessionState");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnstorableValueError);
    expect((error as Error).message.startsWith(message)).toBe(true);
    expect((error as UnstorableValueError).path).toBe(message.slice(0, message.indexOf(" is ")));
  });

  it("refuses cycles", () => {
    const loop: Record<string, unknown> = { a: {} };
    (loop.a as Record<string, unknown>).back = loop;
    expect(() => encodeStoredValue(loop, "sessionState")).toThrow(
      /^sessionState\.a\.back is a circular reference/,
    );
  });

  it(`accepts ${maxStoredDepth} levels of nesting and refuses more with a named error`, () => {
    expect(roundTrip(nested(maxStoredDepth))).toEqual(nested(maxStoredDepth));
    expect(() => encodeStoredValue(nested(maxStoredDepth + 1), "sessionState")).toThrow(
      UnstorableValueError,
    );
    expect(() => encodeStoredValue(nested(100_000), "sessionState")).toThrow(
      `is nested deeper than ${maxStoredDepth} levels`,
    );
  });

  it("decodes crafted text without touching any prototype", () => {
    const own = decodeStoredValue('{"json":{"__proto__":{"polluted":1}}}') as object;
    expect(Object.hasOwn(own, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(own)).toBe(Object.prototype);
    expect(() =>
      decodeStoredValue('{"json":{"a":{}},"meta":{"values":{"__proto__.polluted":["undefined"]}}}'),
    ).toThrow();
    expect(() =>
      decodeStoredValue(
        '{"json":{"a":{}},"meta":{"values":{"a.constructor.prototype.x":["undefined"]}}}',
      ),
    ).toThrow();
    const escaped = decodeStoredValue('{"json":{"\\u0000__proto__":{"polluted":2}}}') as object;
    expect(Object.getOwnPropertyDescriptor(escaped, "__proto__")?.value).toEqual({ polluted: 2 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("x");
  });

  it("throws on text it cannot decode", () => {
    expect(() => decodeStoredValue("not json")).toThrow();
  });
});

describe("plain copies of decoded values", () => {
  it("tells plain JSON text apart, and never takes anything else for it", () => {
    const plain = [{ a: [1, "x", null, true] }, "meta", ["meta"], { meta: { v: 1 } }, {}];
    const rich = [new Date(0), new Map([[1, 2]]), new Set([1]), 1n, undefined, { n: Number.NaN }];
    for (const value of rich) {
      expect(isPlainText(encodeStoredValue(value, "v"))).toBe(false);
    }
    // Plain data spelling `"meta"` is taken for rich: only slower, never wrong.
    expect(plain.map((value) => isPlainText(encodeStoredValue(value, "v")))).toEqual([
      true,
      false,
      false,
      false,
      true,
    ]);
  });

  it("copies as decoding again would: equal, sharing no object, __proto__ a plain key", () => {
    const text = encodeStoredValue(
      JSON.parse('{"list": [1, {"deep": ["x"]}], "__proto__": {"polluted": true}}'),
      "v",
    );
    const decoded = decodeStoredValue(text) as Record<string, unknown>;
    const copy = copyPlain(decoded);
    expect(copy).toEqual(decodeStoredValue(text));
    expect(copy).not.toBe(decoded);
    expect(copy.list).not.toBe(decoded.list);
    expect((copy.list as unknown[])[1]).not.toBe((decoded.list as unknown[])[1]);
    expect(Object.hasOwn(copy, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });
});
