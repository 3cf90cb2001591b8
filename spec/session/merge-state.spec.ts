import { describe, expect, it } from "vitest";
import { mergeSessionState } from "../../lib/session/merge-state.js";

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

describe("mergeSessionState", () => {
  const stored = () => ({ count: 3, theme: { color: "red" }, onlyStored: true });
  const defaults = () => ({ count: 0, theme: { color: "blue", size: 2 }, onlyDefault: "d" });

  it("lets stored state win over the defaults, key by key through plain objects", () => {
    expect(mergeSessionState(stored(), defaults(), false)).toEqual({
      count: 3,
      theme: { color: "red", size: 2 },
      onlyStored: true,
      onlyDefault: "d",
    });
  });

  it("lets the passed values win with overwrite", () => {
    expect(mergeSessionState(stored(), defaults(), true)).toEqual({
      count: 0,
      theme: { color: "blue", size: 2 },
      onlyStored: true,
      onlyDefault: "d",
    });
  });

  it("replaces arrays, Maps, Sets and Dates instead of merging them", () => {
    const merged = mergeSessionState(
      { list: [1], map: new Map([["a", 1]]), tags: new Set(["x"]), at: new Date(1) },
      { list: [2, 3], map: new Map([["b", 2]]), tags: new Set(["y"]), at: new Date(2) },
      false,
    );
    expect(merged).toEqual({
      list: [1],
      map: new Map([["a", 1]]),
      tags: new Set(["x"]),
      at: new Date(1),
    });
  });

  it("does not mutate its inputs, and the result shares no objects with them", () => {
    const s = deepFreeze({ nested: { list: [1, 2] }, map: new Map([["k", { v: 1 }]]) });
    const d = deepFreeze({ nested: { extra: { deep: true } }, set: new Set([1]), at: new Date(5) });
    const merged = mergeSessionState(s, d, false) as {
      nested: { list: number[]; extra: { deep: boolean } };
      map: Map<string, { v: number }>;
      set: Set<number>;
      at: Date;
    };
    merged.nested.list.push(3);
    merged.nested.extra.deep = false;
    (merged.map.get("k") as { v: number }).v = 2;
    merged.set.add(2);
    merged.at.setTime(0);
    expect(s).toEqual({ nested: { list: [1, 2] }, map: new Map([["k", { v: 1 }]]) });
    expect(d).toEqual({ nested: { extra: { deep: true } }, set: new Set([1]), at: new Date(5) });
  });

  it("keeps __proto__ keys as plain data and never touches a prototype", () => {
    const crafted = JSON.parse('{"__proto__": {"polluted": true}, "a": {"__proto__": {"x": 1}}}');
    for (const overwrite of [false, true]) {
      const merged = mergeSessionState(crafted, { a: { b: 1 } }, overwrite);
      expect(Object.hasOwn(merged, "__proto__")).toBe(true);
      expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
      expect(Object.hasOwn(merged.a as object, "__proto__")).toBe(true);
      expect(Object.getPrototypeOf(merged.a)).toBe(Object.prototype);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }
  });

  it("accepts null-prototype objects and copies cycles without looping", () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    const merged = mergeSessionState(bare, { cyclic }, false);
    expect(merged.a).toBe(1);
    const copy = merged.cyclic as Record<string, unknown>;
    expect(copy).not.toBe(cyclic);
    expect(copy.self).toBe(copy);
  });
});

describe("keys Object.prototype has", () => {
  it("become own data keys, never reaching an accessor added to Object.prototype", () => {
    let trapped = 0;
    Object.defineProperty(Object.prototype, "buddyTrap", {
      set() {
        trapped++;
      },
      configurable: true,
    });
    try {
      const stored = JSON.parse('{"buddyTrap": 1, "toString": "text", "nested": {"buddyTrap": 2}}');
      const merged = mergeSessionState(stored, { constructor: "default" }, false);
      expect(trapped).toBe(0);
      expect(Object.hasOwn(merged, "buddyTrap")).toBe(true);
      expect(merged.buddyTrap).toBe(1);
      expect(merged.toString).toBe("text");
      expect(merged.constructor).toBe("default");
      expect(Object.hasOwn(merged.nested as object, "buddyTrap")).toBe(true);
    } finally {
      delete (Object.prototype as Record<string, unknown>).buddyTrap;
    }
  });
});
