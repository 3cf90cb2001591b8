import {
  BuddyError,
  defineWorkflow,
  InvalidSessionFieldError,
  RunResponse,
  run,
  StorageConfigError,
  UnstorableValueError,
  type WorkflowSession,
  type WorkflowStorage,
} from "buddy-ai";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { settle } from "../session/conformance-support.js";
import { nested } from "../support/nested.js";
import { differences } from "../support/reliability-exact.js";
import { type StoreHandle, storeFactories } from "../support/stores.js";

const quiet = { warn: () => {}, debug: () => {} };

/** A string of at least `length` UTF-16 units of quotes, SQL punctuation, unicode and emoji. */
function hostileText(length: number, seed: number): string {
  const alphabet = ["'", '"', "`", "\\", ";", "--", "%", "_", " ", "\n", "a", "Z", "7", "ñ"];
  alphabet.push("日", "🧨", "👩‍👩‍👧", "\u202e", "\u200b", "/*", "*/", "$1", "?");
  let state = seed;
  let text = "";
  while (text.length < length) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    text += alphabet[(state >>> 8) % alphabet.length];
  }
  return text;
}

/** Hostile text for session ids, user ids, session names and workflow ids. */
const hostileTexts: readonly (readonly [string, string])[] = [
  ["quotes and backslashes", `it's "quoted" \`ticked\` \\ back\\slash \\'`],
  ["SQL that drops a table", "'; DROP TABLE x; --"],
  ["SQL that drops the store's table", `"); DROP TABLE buddy_sessions; --`],
  ["an always-true predicate", "x' OR '1'='1"],
  ["LIKE wildcards", "%_%\\_"],
  ["emoji and unicode", "🧨💥 naïve 日本語 Ω \u202eevil\u202c \u200b \u2028\u2029 👩‍👩‍👧‍👦"],
  ["control characters", "\t\n\r\u0001\u001f\u007f"],
  ["nothing (empty)", ""],
  ["10 KB", hostileText(10 * 1024, 7)],
  ["NUL bytes", "a\u0000b'\u0000); DROP TABLE x; --"],
  ["a lone surrogate", "x\ud800y"],
];

type Field = "sessionId" | "userId" | "sessionName" | "workflowId";

/**
 * What every store does with `text` as `field`: undefined when it keeps it exactly, else what
 * the `InvalidSessionFieldError` says. The stores share these rules (PostgreSQL cannot hold NUL
 * in text, UTF-8 columns cannot hold a lone surrogate, index keys are bounded), so a session id
 * that works on SQLite works on Postgres too.
 */
function refusal(field: Field, text: string): RegExp | undefined {
  if (field === "sessionId" && text === "") return /is empty/;
  if (text.includes("\u0000")) return /NUL character/;
  if (/\p{Surrogate}/u.test(text)) return /lone UTF-16 surrogate/;
  if (field === "sessionId" && Buffer.byteLength(text, "utf8") > 1024) return /more than 1024/;
  return undefined;
}

type Row = Record<string, unknown>;

/** Every row of the store's tables and of the unrelated table `x`, minus those of `except`. */
async function snapshot(handle: StoreHandle, ...except: string[]) {
  const keep = (rows: Row[]) => rows.filter((row) => !except.includes(String(row.session_id)));
  return {
    sessions: keep(await handle.sql("select * from buddy_sessions order by session_id")),
    runs: keep(await handle.sql("select * from buddy_sessions_runs order by run_id")),
    x: await handle.sql("select * from x order by v"),
  };
}

/** The user-visible part of Object.prototype, to see that nothing was added or replaced. */
function objectPrototype(): [string, unknown][] {
  return Object.getOwnPropertyNames(Object.prototype).map((name) => {
    const descriptor = Object.getOwnPropertyDescriptor(Object.prototype, name);
    return [name, descriptor?.value ?? descriptor?.get];
  });
}

function expectNoPollution(): void {
  // biome-ignore lint/suspicious/noExplicitAny: reads a key no type has, to catch prototype pollution
  expect(({} as any).polluted).toBeUndefined();
  // biome-ignore lint/suspicious/noExplicitAny: as above, through an array's prototype chain
  expect(([] as any).polluted).toBeUndefined();
  expect(Object.hasOwn(Object.prototype, "polluted")).toBe(false);
}

const visit = (workflowId = "visit") =>
  defineWorkflow({
    name: "visit",
    id: workflowId,
    run: async (ctx, _input: unknown) => {
      const visits = Number(ctx.sessionState.visits ?? 0) + 1;
      ctx.sessionState.visits = visits;
      return `visit ${visits}`;
    },
  });

/** Copies `source`'s keys onto `target` as own data properties (`__proto__` included). */
function defineAll(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const key of Object.keys(source)) {
    Object.defineProperty(target, key, {
      value: source[key],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
}

/** Reserved keys at several depths, in arrays, and keys named like Object.prototype's members. */
const reservedKeys = () =>
  JSON.parse(`{
    "__proto__": {"polluted": "root", "constructor": {"prototype": {"polluted": "deeper"}}},
    "constructor": {"prototype": {"polluted": "through constructor"}},
    "prototype": [{"__proto__": {"polluted": "in an array"}}, {"constructor": null}],
    "nested": {"a": {"b": {
      "__proto__": {"polluted": "depth 3"},
      "toString": "not a function",
      "hasOwnProperty": 1,
      "valueOf": null,
      "__defineGetter__": "x"
    }}},
    "\\u0000__proto__": "a key that looks escaped",
    "__proto__x": 1,
    "2": "an index key",
    "b": "after a",
    "a": "before b"
  }`) as Record<string, unknown>;

/** {@link reservedKeys} with a Date, Map, Set and BigInt inside, so the codec annotates paths. */
function reservedKeysTyped(): Record<string, unknown> {
  const value = reservedKeys();
  const inner = JSON.parse('{"__proto__": {"polluted": "in a map"}}') as Record<string, unknown>;
  const deepest = (value.nested as { a: { b: Record<string, unknown> } }).a.b;
  defineAll(deepest, { constructor: new Date(86_400_000), prototype: 2n ** 64n });
  value.typed = new Map<unknown, unknown>([
    ["__proto__", inner],
    [inner, new Set([reservedKeys(), 1n])],
  ]);
  return value;
}

describe.each(storeFactories)("hostile input: $name", (factory) => {
  let handle: StoreHandle;
  let prototypeBefore: [string, unknown][];
  beforeEach(async () => {
    prototypeBefore = objectPrototype();
    handle = await factory.create();
    // Sessions that hostile input must leave alone, and an unrelated table.
    const seed = visit("seed");
    for (const sessionId of ["bystander", "x", "'", "%"]) {
      await run(seed, undefined, {
        storage: handle.storage,
        sessionId,
        userId: "u-bystander",
        sessionName: "Bystander",
        sessionState: { keep: "me", nested: { n: 1 } },
      });
    }
    await handle.sql("create table x (v text)");
    await handle.sql("insert into x (v) values ('canary')");
  });
  afterEach(async () => {
    await handle.cleanup();
    expectNoPollution();
    expect(objectPrototype()).toEqual(prototypeBefore);
  });

  describe("session ids, user ids, session names and workflow ids", () => {
    const cases = (["sessionId", "userId", "sessionName", "workflowId"] as const).flatMap((field) =>
      hostileTexts.map(([label, text]) => [field, label, text] as const),
    );

    it.each(cases)(
      "%s with %s: stored and read back exactly, or refused by name",
      async (field, _label, text) => {
        const { storage } = handle;
        const ids = {
          sessionId: "plain-session",
          userId: "plain-user",
          sessionName: "Plain",
          workflowId: "plain-workflow",
          [field]: text,
        };
        const workflow = visit(ids.workflowId);
        const go = () =>
          run(
            workflow,
            { text },
            {
              storage,
              sessionId: ids.sessionId,
              userId: ids.userId,
              sessionName: ids.sessionName,
              logger: quiet,
            },
          );
        const before = await snapshot(handle);
        const refused = refusal(field, text);

        if (refused !== undefined) {
          const { error } = await settle(go());
          expect(error).toBeInstanceOf(InvalidSessionFieldError);
          expect(error).toBeInstanceOf(BuddyError);
          expect((error as InvalidSessionFieldError).field).toBe(field);
          expect((error as Error).message).toMatch(refused);
          expect((error as Error).message).toMatch(/remove the offending characters/);
          // The store's other operations refuse it the same way, and nothing was written.
          const attempts: Promise<unknown>[] =
            field === "sessionId"
              ? [
                  storage.readSession(text),
                  storage.listRuns(text),
                  storage.renameSession(text, "name"),
                  storage.deleteSession(text),
                ]
              : field === "sessionName"
                ? [storage.renameSession("bystander", text)]
                : [storage.listSessions({ [field]: text })];
          for (const attempt of attempts) {
            await expect(attempt).rejects.toThrow(InvalidSessionFieldError);
          }
          expect(await snapshot(handle)).toEqual(before);
          return;
        }

        const first = await go();
        const second = await go();
        expect(second.content).toBe("visit 2");
        const session = await storage.readSession(ids.sessionId);
        expect(session).toBeDefined();
        const { sessionId, userId, sessionName, workflowId } = session as WorkflowSession;
        expect({ sessionId, userId, sessionName, workflowId }).toEqual(ids);
        expect(differences(session?.sessionState, { visits: 2 })).toEqual([]);
        const listed = (await storage.listSessions({ userId: ids.userId })).map((s) => s.sessionId);
        expect(listed).toEqual([ids.sessionId]);
        const ofWorkflow = await storage.listSessions({ workflowId: ids.workflowId });
        expect(ofWorkflow.map((s) => s.sessionId)).toEqual([ids.sessionId]);
        const runs = await storage.listRuns(ids.sessionId);
        expect(runs.map((r) => [r.runId, r.sessionId, r.workflowId, r.status])).toEqual([
          [first.runId, ids.sessionId, ids.workflowId, "completed"],
          [second.runId, ids.sessionId, ids.workflowId, "completed"],
        ]);
        expect(differences(runs[0]?.input, { text })).toEqual([]);
        await storage.renameSession(ids.sessionId, `${text} (renamed)`);
        expect((await storage.readSession(ids.sessionId))?.sessionName).toBe(`${text} (renamed)`);
        // Nothing but its own rows changed; deleting it restores the database exactly.
        expect(await snapshot(handle, ids.sessionId)).toEqual(before);
        await storage.deleteSession(ids.sessionId);
        expect(await snapshot(handle)).toEqual(before);
      },
    );
  });

  it("keeps ids that differ only by case, Unicode normalization or spaces apart", async () => {
    const { storage } = handle;
    const ids = ["Ab", "ab", "AB", "é", "e\u0301", "ﬁ", "fi", "a", "a ", " a", "ß", "ss", "İ", "i̇"];
    const before = await snapshot(handle);
    for (const id of ids) {
      await run(visit(id), undefined, { storage, sessionId: id, userId: id, sessionName: id });
    }
    for (const id of ids) {
      const session = await storage.readSession(id);
      expect([
        session?.sessionId,
        session?.userId,
        session?.sessionName,
        session?.workflowId,
      ]).toEqual([id, id, id, id]);
      expect((await storage.listSessions({ userId: id })).map((s) => s.sessionId)).toEqual([id]);
      expect((await storage.listSessions({ workflowId: id })).map((s) => s.sessionId)).toEqual([
        id,
      ]);
      expect((await storage.listRuns(id)).map((r) => r.sessionId)).toEqual([id]);
    }
    expect(await snapshot(handle, ...ids)).toEqual(before);
  });

  describe("session state", () => {
    it.each([
      ["plain JSON", reservedKeys],
      ["Date, Map, Set and BigInt inside", reservedKeysTyped],
    ])(
      "keeps __proto__, constructor and prototype keys (%s) as own data, in order, by every path in",
      async (_label, make) => {
        const { storage } = handle;
        const before = await snapshot(handle);
        const expected = make();
        const seen: Record<string, unknown>[] = [];
        const inspect = defineWorkflow({
          name: "inspect",
          run: async (ctx, input: unknown) => {
            expect(Object.getPrototypeOf(ctx.sessionState)).toBe(Object.prototype);
            expect(ctx.sessionState.polluted).toBeUndefined();
            seen.push(ctx.sessionState);
            if (input === "copy in") defineAll(ctx.sessionState, make());
            return new RunResponse({ content: input === "copy in" ? make() : "" });
          },
        });

        // Set by the workflow itself, also as content and extra data.
        await run(inspect, "copy in", { storage, sessionId: "set", extraData: make() });
        // Given as defaults to a new session.
        await run(inspect, "", { storage, sessionId: "defaults", sessionState: make() });
        // Given as defaults that overwrite stored state.
        await run(inspect, "", { storage, sessionId: "over", sessionState: { other: 1 } });
        await run(inspect, "", {
          storage,
          sessionId: "over",
          sessionState: make(),
          overwriteSessionState: true,
        });
        expectNoPollution();

        const stored = async (sessionId: string) =>
          (await storage.readSession(sessionId))?.sessionState;
        expect(differences(await stored("set"), expected, "set")).toEqual([]);
        expect(differences(await stored("defaults"), expected, "defaults")).toEqual([]);
        expect(differences(await stored("over"), { other: 1, ...expected }, "over")).toEqual([]);
        const session = await storage.readSession("set");
        expect(differences(session?.extraData, expected, "extraData")).toEqual([]);
        const [recorded] = await storage.listRuns("set");
        expect(differences(recorded?.content, expected, "content")).toEqual([]);
        expect(differences(recorded?.extraData, expected, "run extraData")).toEqual([]);
        const own = (await stored("set")) ?? {};
        expect(Object.getPrototypeOf(own)).toBe(Object.prototype);
        expect(Object.hasOwn(own, "__proto__")).toBe(true);
        expect(
          Object.getPrototypeOf(Object.getOwnPropertyDescriptor(own, "__proto__")?.value),
        ).toBe(Object.prototype);

        // The next run of each session loads exactly that state, as input too.
        seen.length = 0;
        for (const sessionId of ["set", "defaults"]) {
          await run(inspect, make(), { storage, sessionId });
        }
        expect(differences(seen[0], expected, "loaded set")).toEqual([]);
        expect(differences(seen[1], expected, "loaded defaults")).toEqual([]);
        const last = (await storage.listRuns("defaults")).at(-1);
        expect(differences(last?.input, expected, "input")).toEqual([]);
        expectNoPollution();
        expect(await snapshot(handle, "set", "defaults", "over")).toEqual(before);
      },
    );

    it("refuses a state whose prototype a workflow replaced, by name, saving nothing", async () => {
      const { storage } = handle;
      const untrusted = JSON.parse('{"__proto__": {"polluted": "assigned"}}') as object;
      const assignAll = defineWorkflow({
        name: "assign-all",
        run: async (ctx, where: "root" | "nested") => {
          ctx.sessionState.visits = 2;
          // Copying untrusted keys by assignment sets the prototype rather than a key.
          const target: Record<string, unknown> = where === "root" ? ctx.sessionState : {};
          for (const [key, value] of Object.entries(untrusted)) target[key] = value;
          if (where === "nested") ctx.sessionState.profile = target;
          return "done";
        },
      });
      for (const [where, path] of [
        ["root", "sessionState"],
        ["nested", "sessionState.profile"],
      ] as const) {
        const stateBefore = await storage.readSession("bystander");
        const before = await snapshot(handle, "bystander");
        const { error } = await settle(
          run(assignAll, where, { storage, sessionId: "bystander", logger: quiet }),
        );
        expect(error).toBeInstanceOf(UnstorableValueError);
        expect((error as UnstorableValueError).path).toBe(path);
        expect((error as Error).message).toMatch(/prototype was replaced/);
        expect(differences(await storage.readSession("bystander"), stateBefore)).toEqual([]);
        expect((await storage.listRuns("bystander")).at(-1)?.status).toBe("error");
        expect(await snapshot(handle, "bystander")).toEqual(before);
      }
      expectNoPollution();
    });

    it("refuses 10,000-deep nesting in state, defaults, input, content and extra data by name", async () => {
      const { storage } = handle;
      const deep = nested(10_000);
      const deepen = defineWorkflow({
        name: "deepen",
        run: async (ctx, where: unknown) => {
          if (where === "state") ctx.sessionState.deep = nested(10_000);
          return new RunResponse({ content: where === "content" ? deep : "done" });
        },
      });
      const attempts = [
        ["state", { sessionState: undefined, extraData: undefined }, "sessionState.deep.c.c"],
        ["defaults", { sessionState: { deep }, extraData: undefined }, "sessionState.deep.c.c"],
        ["content", { sessionState: undefined, extraData: undefined }, "content.c.c"],
        ["extra data", { sessionState: undefined, extraData: { deep } }, "extraData.deep.c.c"],
      ] as const;
      for (const [where, options, path] of attempts) {
        const stateBefore = await storage.readSession("bystander");
        const before = await snapshot(handle, "bystander");
        const runsBefore = await storage.listRuns("bystander");
        const { error } = await settle(
          run(deepen, where, { storage, sessionId: "bystander", logger: quiet, ...options }),
        );
        expect(error, where).toBeInstanceOf(UnstorableValueError);
        expect((error as UnstorableValueError).path.startsWith(path), where).toBe(true);
        expect((error as Error).message).toMatch(/nested deeper than 1000 levels; flatten it/);
        // State untouched; the run is recorded as failed; nothing else changed.
        expect(differences(await storage.readSession("bystander"), stateBefore)).toEqual([]);
        const runs = await storage.listRuns("bystander");
        expect(runs.slice(0, -1)).toEqual(runsBefore);
        expect(runs.at(-1)).toMatchObject({ status: "error", workflowId: "deepen" });
        expect(await snapshot(handle, "bystander")).toEqual(before);
      }
      // Deep input is refused before the run claims (or creates) anything.
      const before = await snapshot(handle);
      const { error } = await settle(
        run(deepen, deep, { storage, sessionId: "deep-input", logger: quiet }),
      );
      expect(error).toBeInstanceOf(UnstorableValueError);
      expect((error as UnstorableValueError).path.startsWith("input.c.c")).toBe(true);
      expect(await snapshot(handle)).toEqual(before);
      // The session is free and works as before.
      const next = await run(visit("seed"), undefined, { storage, sessionId: "bystander" });
      expect(next.content).toBe("visit 2");
    });

    it("stores a 10 MB string exactly in state, input, content and extra data", async () => {
      const { storage } = handle;
      const chunk = `${hostileText(1000, 3)}\u0000'"\\\ud800;--🧨\u2028`;
      const big = chunk.repeat(Math.ceil((10 * 1024 * 1024) / chunk.length));
      const before = await snapshot(handle);
      const seen: unknown[] = [];
      const carry = defineWorkflow({
        name: "carry",
        run: async (ctx, input: string) => {
          seen.push(ctx.sessionState.big === big, ctx.history.at(-1)?.content === big);
          ctx.sessionState.big = input;
          return input;
        },
      });
      await run(carry, big, { storage, sessionId: "big", extraData: { big } });
      const session = await storage.readSession("big");
      expect(session?.sessionState.big === big).toBe(true);
      expect(session?.extraData.big === big).toBe(true);
      const [recorded] = await storage.listRuns("big");
      expect(recorded?.input === big).toBe(true);
      expect(recorded?.content === big).toBe(true);
      expect((recorded?.extraData as { big?: unknown } | undefined)?.big === big).toBe(true);
      await run(carry, "small", { storage, sessionId: "big" });
      expect(seen).toEqual([false, false, true, true]);
      expect(await snapshot(handle, "big")).toEqual(before);
    });

    it("round-trips keys and strings with NUL, lone surrogates, dots, quotes and SQL", async () => {
      const { storage } = handle;
      const hostile = ["a\u0000b", "\u0000", "\ud800", "\udc00x", "'; DROP TABLE x; --", "a.b"];
      const keys = [...hostile, "a\\.b", "a\\", ".", "", "$", "json", "meta"];
      const expected: Record<string, unknown> = {};
      for (const [i, text] of keys.entries()) {
        expected[text] = { text, at: new Date(i), big: BigInt(i), list: [text, new Set([text])] };
      }
      expected.a = { b: new Date(-1) }; // where "a.b" would land if read as a path
      expected.map = new Map(hostile.map((text, i) => [text, i]));
      const keep = defineWorkflow({
        name: "keep",
        run: async (ctx, _input: string[]) => {
          defineAll(ctx.sessionState, expected);
          return new RunResponse({ content: hostile });
        },
      });
      const before = await snapshot(handle);
      await run(keep, hostile, { storage, sessionId: "keys" });
      expect(differences((await storage.readSession("keys"))?.sessionState, expected)).toEqual([]);
      const [recorded] = await storage.listRuns("keys");
      expect(differences(recorded?.content, hostile)).toEqual([]);
      expect(differences(recorded?.input, hostile)).toEqual([]);
      expect(await snapshot(handle, "keys")).toEqual(before);
    });
  });

  describe("store options", () => {
    it("refuses table (and schema) names with quotes or SQL before touching the database", async () => {
      const names = [
        'x"; DROP TABLE x; --',
        "x'; DROP TABLE x; --",
        "buddy_sessions; DROP TABLE x",
        '"quoted"',
        "a b",
        "x--",
        "x/*",
        "naïve",
        "x\u0000",
        "",
        "x".repeat(64),
      ];
      const before = await snapshot(handle);
      for (const tableName of names) {
        expect(() => handle.open({ tableName }), tableName).toThrow(StorageConfigError);
      }
      expect(await snapshot(handle)).toEqual(before);
      if (handle.openInSchema === undefined) return;
      for (const schema of names) {
        // Refused by name (when the store is made or first used), or created exactly as named.
        let storage: WorkflowStorage;
        try {
          storage = handle.openInSchema(schema);
        } catch (error) {
          expect(error, schema).toBeInstanceOf(StorageConfigError);
          continue;
        }
        const first = await settle(storage.readSession("s"));
        if (first.error !== undefined) {
          expect(first.error, schema).toBeInstanceOf(StorageConfigError);
          continue;
        }
        await run(visit(), undefined, { storage, sessionId: "s" });
        expect((await storage.readSession("s"))?.sessionState).toEqual({ visits: 1 });
      }
      expect(await snapshot(handle)).toEqual(before);
    });
  });
});
