import { defineWorkflow, run, UnstorableValueError } from "buddy-ai";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { settle } from "../session/conformance-support.js";
import { type StoreHandle, storeFactories } from "../support/stores.js";

const quiet = { warn: () => {}, debug: () => {} };

/** Counts with immutable updates: a new state object on every run. */
const counter = defineWorkflow({
  name: "counter",
  run: async (ctx) => {
    const count = Number(ctx.sessionState.count ?? 0) + 1;
    ctx.sessionState = { ...ctx.sessionState, count };
    await new Promise((resolve) => setImmediate(resolve));
    return `count ${ctx.sessionState.count}`;
  },
});

describe.each(storeFactories)("updates made during a run: $name", (factory) => {
  let handle: StoreHandle;
  beforeEach(async () => {
    handle = await factory.create();
  });
  afterEach(async () => {
    await handle.cleanup();
  });

  it("saves a state object the workflow assigned to ctx.sessionState", async () => {
    const { storage } = handle;
    for (let i = 1; i <= 3; i++) {
      const response = await run(counter, undefined, { storage, sessionId: "s" });
      expect(response.content).toBe(`count ${i}`);
    }
    expect((await storage.readSession("s"))?.sessionState).toEqual({ count: 3 });
  });

  it("keeps every replacement of runs queued on one session", async () => {
    const { storage } = handle;
    const runs = Array.from({ length: 10 }, () =>
      run(counter, undefined, { storage, sessionId: "queued" }),
    );
    const contents = (await Promise.all(runs)).map((r) => r.content);
    expect(contents).toEqual(Array.from({ length: 10 }, (_, i) => `count ${i + 1}`));
    expect((await storage.readSession("queued"))?.sessionState).toEqual({ count: 10 });
  });

  it("hands a child run's replacement to its parent, which saves it", async () => {
    const { storage } = handle;
    const child = defineWorkflow({
      name: "child",
      run: async (ctx) => {
        ctx.sessionState = { ...ctx.sessionState, byChild: [ctx.sessionState.byParent] };
        return "";
      },
    });
    const parent = defineWorkflow({
      name: "parent",
      run: async (ctx) => {
        ctx.sessionState.byParent = "before";
        await ctx.run(child, undefined);
        ctx.sessionState.after = ctx.sessionState.byChild;
        return "";
      },
    });
    await run(parent, undefined, { storage, sessionId: "family", sessionState: { kept: 1 } });
    expect((await storage.readSession("family"))?.sessionState).toEqual({
      kept: 1,
      byParent: "before",
      byChild: ["before"],
      after: ["before"],
    });
  });

  it.each([
    ["an array", []],
    ["null", null],
    ["a number", 5],
    ["an instance of a class", new Map()],
  ])("refuses %s assigned to ctx.sessionState by name, saving nothing", async (what, value) => {
    const { storage } = handle;
    await run(counter, undefined, { storage, sessionId: "refused" });
    const replace = defineWorkflow({
      name: "replace",
      run: async (ctx) => {
        (ctx as { sessionState: unknown }).sessionState = value;
        return "";
      },
    });
    const { error } = await settle(
      run(replace, undefined, { storage, sessionId: "refused", logger: quiet }),
    );
    expect(error).toBeInstanceOf(UnstorableValueError);
    expect((error as Error).message).toBe(
      `sessionState is ${what} (assigned to ctx.sessionState); assign a plain object, e.g. ` +
        "ctx.sessionState = { ...ctx.sessionState, visits: 1 }",
    );
    expect((await storage.readSession("refused"))?.sessionState).toEqual({ count: 1 });
    expect((await storage.listRuns("refused")).map((r) => r.status)).toEqual([
      "completed",
      "error",
    ]);
  });
});
