import {
  AbortError,
  BuddyError,
  defineWorkflow,
  execute,
  RunResponse,
  run,
  SessionBusyError,
  SessionConflictError,
  SessionDecodeError,
  StorageConfigError,
  UnstorableValueError,
} from "buddy-ai";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type StoreHandle, storeFactories } from "../support/stores.js";
import {
  child,
  completeRun,
  failRun,
  request,
  response,
  settle,
  sleep,
  workflowData,
} from "./conformance-support.js";

const quiet = { warn: () => {}, debug: () => {} };

/** A state row encoded as the store writes plain JSON. */
const encoded = (value: unknown) => `'${JSON.stringify({ json: value })}'`;

/**
 * A value column the codec cannot decode: valid JSON (Postgres `json` columns refuse anything
 * else) with an annotation superjson does not know.
 */
const undecodable = `'{"json":{"count":1},"meta":{"values":{"count":["bogus"]}}}'`;

describe.each(storeFactories)("session store conformance: $name", (factory) => {
  let handle: StoreHandle;
  beforeEach(async () => {
    handle = await factory.create();
  });
  afterEach(async () => {
    await handle.cleanup();
  });

  describe("load before, save after", () => {
    it("opens a new session, then saves its state and run in one finish", async () => {
      const { storage } = handle;
      const req = request("s1", { userId: "u1", sessionName: "First" });
      const opened = await storage.openRun(req);
      expect(opened.session).toBeUndefined();
      expect(opened.history).toEqual([]);
      await opened.finish({
        runs: [response(req, "hello")],
        sessionState: { count: 1 },
        extraData: { tag: "x" },
      });
      const session = await storage.readSession("s1");
      expect(session).toMatchObject({
        sessionId: "s1",
        workflowId: "counter",
        userId: "u1",
        sessionName: "First",
        sessionState: { count: 1 },
        extraData: { tag: "x" },
        workflowData,
      });
      expect(session?.createdAt).toBeLessThanOrEqual(session?.updatedAt ?? 0);
      const runs = await storage.listRuns("s1");
      expect(runs).toHaveLength(1);
      expect(runs[0]).toBeInstanceOf(RunResponse);
      expect(runs[0]).toMatchObject({
        runId: req.runId,
        sessionId: "s1",
        workflowId: "counter",
        status: "completed",
        content: "hello",
        input: { ask: "count" },
        metrics: { durationMs: 1.5 },
        parentRunId: undefined,
      });
      expect(await storage.readSession("absent")).toBeUndefined();
    });

    it("claims an existing session: a given name renames it, a user fills in only when it has none", async () => {
      const { storage } = handle;
      await completeRun(storage, "named", { n: 1 }, "first");
      await completeRun(storage, "named", { n: 2 }, "second", { sessionName: "Later" });
      const renamed = request("named", { userId: "u1" });
      const opened = await storage.openRun(renamed);
      expect(opened.session).toMatchObject({ sessionName: "Later", sessionState: { n: 2 } });
      expect(opened.history.map((r) => r.content)).toEqual(["first", "second"]);
      await opened.finish({ runs: [response(renamed, "third")], sessionState: { n: 3 } });
      // A name not given keeps the session's; a user given to a session that has one is ignored.
      await completeRun(storage, "named", { n: 4 }, "fourth", { userId: "u2" });
      expect(await storage.readSession("named")).toMatchObject({
        sessionName: "Later",
        userId: "u1",
        sessionState: { n: 4 },
      });
      const runs = await storage.listRuns("named");
      expect(runs.map((r) => [r.content, r.status])).toEqual([
        ["first", "completed"],
        ["second", "completed"],
        ["third", "completed"],
        ["fourth", "completed"],
      ]);
    });

    it("resumes a session from a fresh store instance on the same database", async () => {
      const counter = defineWorkflow({
        name: "counter",
        run: async (ctx) => {
          const count = Number(ctx.sessionState.count ?? 0) + 1;
          ctx.sessionState.count = count;
          return `count ${count} after ${ctx.history.length} runs`;
        },
      });
      await run(counter, undefined, { storage: handle.storage, sessionId: "r" });
      await handle.storage.close();
      const fresh = handle.open();
      const second = await run(counter, undefined, { storage: fresh, sessionId: "r" });
      expect(second.content).toBe("count 2 after 1 runs");
      expect((await fresh.readSession("r"))?.sessionState).toEqual({ count: 2 });
    });

    it("loads the last historyLimit completed top-level runs, oldest first", async () => {
      const { storage } = handle;
      for (let i = 0; i < 5; i++) {
        await completeRun(storage, "h", {}, `run ${i}`);
        if (i === 2) await failRun(storage, "h");
      }
      const parent = request("h");
      const withChild = await storage.openRun(parent);
      await withChild.finish({
        runs: [response(parent, "run 5"), child(parent, "child")],
        sessionState: {},
      });
      const opened = await storage.openRun(request("h", { historyLimit: 3 }));
      expect(opened.history.map((r) => r.content)).toEqual(["run 3", "run 4", "run 5"]);
      expect(opened.history.every((r) => r instanceof RunResponse)).toBe(true);
      await opened.finish({ runs: [] });
      const none = await storage.openRun(request("h", { historyLimit: 0 }));
      expect(none.history).toEqual([]);
      await none.finish({ runs: [] });
    });

    it("sees every other store's runs in the history, whichever store ran last", async () => {
      const stores = [handle.storage, handle.open(), handle.open()];
      const expected: unknown[] = [];
      // Every order of turns: a store runs twice in a row, after one, and after two others.
      const turns = [0, 0, 1, 0, 2, 2, 1, 0, 1, 2, 0, 0, 0, 1, 1, 2];
      for (const [i, turn] of turns.entries()) {
        const storage = stores[turn] ?? handle.storage;
        const req = request("shared", { historyLimit: 3 + (i % 3) });
        const opened = await storage.openRun(req);
        expect(opened.history.map((r) => r.content)).toEqual(expected.slice(-req.historyLimit));
        const ok = i % 4 !== 3;
        await opened.finish(
          ok
            ? { runs: [response(req, { turn: i })], sessionState: { i } }
            : { runs: [response(req, "failed", "error", "it failed")] },
        );
        if (ok) expected.push({ turn: i });
      }
      const last = await handle.storage.openRun(request("shared", { historyLimit: 100 }));
      expect(last.history.map((r) => r.content)).toEqual(expected);
      expect(last.history.map((r) => r.input)).toEqual(expected.map(() => ({ ask: "count" })));
      await last.finish({ runs: [] });
    });

    it("records failed and cancelled runs and leaves the state as it was", async () => {
      const { storage } = handle;
      await completeRun(storage, "f", { count: 1, nested: { a: 1 } });
      const before = await storage.readSession("f");
      await failRun(storage, "f", "error");
      await failRun(storage, "f", "cancelled");
      const after = await storage.readSession("f");
      expect(after?.sessionState).toEqual({ count: 1, nested: { a: 1 } });
      expect(after?.updatedAt).toBe(before?.updatedAt);
      const runs = await storage.listRuns("f");
      expect(runs.map((r) => [r.status, r.error])).toEqual([
        ["completed", undefined],
        ["error", "error: boom"],
        ["cancelled", "cancelled: boom"],
      ]);
    });

    it("keeps the row of a session whose first run failed, with empty state", async () => {
      const { storage } = handle;
      await failRun(storage, "first-fails");
      const session = await storage.readSession("first-fails");
      expect(session?.sessionState).toEqual({});
      expect((await storage.listRuns("first-fails")).map((r) => r.status)).toEqual(["error"]);
      await completeRun(storage, "first-fails", { ok: true });
      expect((await storage.readSession("first-fails"))?.sessionState).toEqual({ ok: true });
    });

    it("lists runs with their status and parent, oldest first; limit keeps the newest", async () => {
      const { storage } = handle;
      const a = await completeRun(storage, "l", {}, "a");
      const b = await failRun(storage, "l", "error");
      const c = await failRun(storage, "l", "cancelled");
      const parent = request("l");
      const withChild = await storage.openRun(parent);
      const kid = child(parent, "kid");
      await withChild.finish({ runs: [response(parent, "p"), kid], sessionState: {} });
      const inFlight = request("l");
      const open = await storage.openRun(inFlight);
      const runs = await storage.listRuns("l");
      expect(runs.map((r) => [r.runId, r.status, r.parentRunId])).toEqual([
        [a.runId, "completed", undefined],
        [b.runId, "error", undefined],
        [c.runId, "cancelled", undefined],
        [parent.runId, "completed", undefined],
        [kid.runId, "completed", parent.runId],
        [inFlight.runId, "running", undefined],
      ]);
      expect(runs[4]).toMatchObject({ content: "kid", input: "child input", workflowId: "child" });
      // An ended run has its end time; a running one has none yet.
      for (const run of runs.slice(0, 5)) {
        expect(run.finishedAt).toBeGreaterThanOrEqual(run.createdAt);
      }
      expect(runs[5]?.finishedAt).toBeUndefined();
      const last = await storage.listRuns("l", { limit: 2 });
      expect(last.map((r) => r.runId)).toEqual([kid.runId, inFlight.runId]);
      expect(await storage.listRuns("nobody")).toEqual([]);
      await open.finish({ runs: [] });
    });

    it("lists sessions newest first, filtered by workflow and user, up to a limit", async () => {
      const { storage } = handle;
      await completeRun(storage, "a", {}, "", { workflowId: "w1", userId: "u1" });
      await sleep(3);
      await completeRun(storage, "b", {}, "", { workflowId: "w2", userId: "u1" });
      await sleep(3);
      await completeRun(storage, "c", {}, "", { workflowId: "w1", userId: "u2" });
      await sleep(3);
      await completeRun(storage, "a", { again: true }); // a becomes the newest
      const ids = async (options?: Parameters<typeof storage.listSessions>[0]) =>
        (await storage.listSessions(options)).map((s) => s.sessionId);
      expect(await ids()).toEqual(["a", "c", "b"]);
      expect(await ids({ workflowId: "w1" })).toEqual(["a", "c"]);
      expect(await ids({ userId: "u1" })).toEqual(["a", "b"]);
      expect(await ids({ workflowId: "w1", userId: "u2" })).toEqual(["c"]);
      expect(await ids({ limit: 2 })).toEqual(["a", "c"]);
      expect(await ids({ workflowId: "none" })).toEqual([]);
    });

    it("deletes a session with its runs, and renames one", async () => {
      const { storage } = handle;
      await completeRun(storage, "keep", { k: 1 });
      await completeRun(storage, "drop", { d: 1 });
      await storage.deleteSession("drop");
      await storage.deleteSession("never-existed");
      expect(await storage.readSession("drop")).toBeUndefined();
      expect(await storage.listRuns("drop")).toEqual([]);
      expect((await storage.readSession("keep"))?.sessionState).toEqual({ k: 1 });
      expect(await storage.renameSession("keep", "Kept")).toBe(true);
      expect(await storage.renameSession("never-existed", "Ghost")).toBe(false);
      expect((await storage.readSession("keep"))?.sessionName).toBe("Kept");
      expect(await storage.readSession("never-existed")).toBeUndefined();
      await completeRun(storage, "drop", { fresh: true });
      expect((await storage.readSession("drop"))?.sessionState).toEqual({ fresh: true });
    });

    it("refuses to work once closed", async () => {
      const storage = handle.open();
      await storage.close();
      await expect(storage.readSession("x")).rejects.toThrow(BuddyError);
      await expect(storage.readSession("x")).rejects.toThrow(/closed/);
    });
  });

  describe("no lost updates", () => {
    it("queues runs on one session in this process, first come first served", async () => {
      const { storage } = handle;
      const order: number[] = [];
      await Promise.all(
        [1, 2, 3].map(async (n) => {
          const req = request("q");
          const opened = await storage.openRun(req);
          order.push(n);
          await sleep(5);
          const count = Number(opened.session?.sessionState.count ?? 0) + 1;
          await opened.finish({ runs: [response(req, count)], sessionState: { count } });
        }),
      );
      expect(order).toEqual([1, 2, 3]);
      expect((await storage.readSession("q"))?.sessionState).toEqual({ count: 3 });
    });

    it("fails with SessionBusyError when the session stays busy past busyTimeoutMs", async () => {
      const holder = await handle.storage.openRun(request("busy"));
      const other = handle.open({ busyTimeoutMs: 100 });
      const { error } = await settle(other.openRun(request("busy")));
      expect(error).toBeInstanceOf(SessionBusyError);
      expect(String(error)).toMatch(/busyTimeoutMs/);
      const sameProcess = handle.open({ busyTimeoutMs: 50 });
      const first = await sameProcess.openRun(request("busy-queue"));
      await expect(sameProcess.openRun(request("busy-queue"))).rejects.toThrow(SessionBusyError);
      await first.finish({ runs: [] });
      await holder.finish({ runs: [] });
      const after = await other.openRun(request("busy"));
      await after.finish({ runs: [] });
    });

    it("stops waiting for a busy session when the run's signal aborts", async () => {
      const holder = await handle.storage.openRun(request("abort"));
      const other = handle.open();
      const queued = new AbortController();
      const leased = new AbortController();
      const inQueue = settle(handle.storage.openRun(request("abort", { signal: queued.signal })));
      const onLease = settle(other.openRun(request("abort", { signal: leased.signal })));
      await sleep(20);
      queued.abort(new Error("stop"));
      leased.abort(new Error("stop"));
      expect((await inQueue).error).toBeInstanceOf(AbortError);
      expect((await onLease).error).toBeInstanceOf(AbortError);
      await holder.finish({ runs: [] });
      const next = await handle.storage.openRun(request("abort"));
      await next.finish({ runs: [] });
    });

    it("keeps its lease alive while the run is in flight", async () => {
      const holder = handle.open({ leaseMs: 150 });
      const opened = await holder.openRun(request("renewed"));
      await sleep(500); // more than three lease lengths
      const other = handle.open({ busyTimeoutMs: 50 });
      await expect(other.openRun(request("renewed"))).rejects.toThrow(SessionBusyError);
      await opened.finish({ runs: [] });
    });

    it("keeps every lease it holds alive, one run's as long as it is in flight after another ended", async () => {
      const holder = handle.open({ leaseMs: 150 });
      const first = await holder.openRun(request("renewed-a"));
      await sleep(60);
      const second = await holder.openRun(request("renewed-b"));
      await sleep(500); // more than three lease lengths
      await first.finish({ runs: [] });
      await sleep(500);
      const other = handle.open({ busyTimeoutMs: 50 });
      await expect(other.openRun(request("renewed-b"))).rejects.toThrow(SessionBusyError);
      // The first run's session was given back when it ended.
      const next = await other.openRun(request("renewed-a"));
      await next.finish({ runs: [] });
      await second.finish({ runs: [] });
      const after = await other.openRun(request("renewed-b"));
      await after.finish({ runs: [] });
    });

    it("refuses a stale save with SessionConflictError, writes nothing, frees the session", async () => {
      const { storage } = handle;
      await completeRun(storage, "c", { count: 1 });
      const req = request("c");
      const stale = await storage.openRun(req);
      // Another writer saves a newer version underneath the open run.
      await handle.sql(
        `update buddy_sessions set session_state = ${encoded({ count: 99 })}, version = version + 1 where session_id = 'c'`,
      );
      const { error } = await settle(
        stale.finish({ runs: [response(req, "stale")], sessionState: { count: 2 } }),
      );
      expect(error).toBeInstanceOf(SessionConflictError);
      expect((await storage.readSession("c"))?.sessionState).toEqual({ count: 99 });
      const recorded = (await storage.listRuns("c")).at(-1);
      expect(recorded).toMatchObject({ runId: req.runId, status: "error" });
      expect(recorded?.error).toMatch(/changed while run/);
      // The run can still be recorded without state, as the runtime does after a failed save.
      await stale.finish({ runs: [response(req, undefined, "error", "conflict")] });
      expect((await storage.listRuns("c")).at(-1)?.error).toBe("conflict");
      const next = await handle.open({ busyTimeoutMs: 50 }).openRun(request("c"));
      expect(next.session?.sessionState).toEqual({ count: 99 });
      await next.finish({ runs: [] });
      await expect(stale.finish({ runs: [] })).rejects.toThrow(/already finished/);
    });

    it("takes over an expired lease and marks the abandoned run as failed", async () => {
      const { storage } = handle;
      await completeRun(storage, "crash", { count: 5 });
      const now = Date.now();
      await handle.sql(
        `insert into buddy_sessions_runs (run_id, session_id, parent_run_id, workflow_id, seq,
          position, status, content_type, input, content, metrics, messages, extra_data, error,
          created_at, updated_at) values ('dead-run', 'crash', null, 'counter', 2, 0, 'running',
          'str', ${encoded(null)}, ${encoded(null)}, ${encoded({})}, ${encoded([])},
          ${encoded({})}, null, ${now}, ${now})`,
      );
      // A process that claimed the session for dead-run and died: its lease ends soon.
      await handle.sql(
        `update buddy_sessions set lease_owner = 'dead-owner', lease_run_id = 'dead-run',
          lease_expires_at = ${now + 200}, run_count = 2 where session_id = 'crash'`,
      );
      const opened = await handle.open({ busyTimeoutMs: 10_000 }).openRun(request("crash"));
      expect(opened.session?.sessionState).toEqual({ count: 5 });
      const dead = (await storage.listRuns("crash")).find((r) => r.runId === "dead-run");
      expect(dead?.status).toBe("error");
      expect(dead?.error).toMatch(/^abandoned/);
      await opened.finish({ runs: [], sessionState: { count: 6 } });
      expect((await storage.readSession("crash"))?.sessionState).toEqual({ count: 6 });
    });
  });

  describe("stored values", () => {
    it("round-trips JSON values, Date, Map, Set, BigInt, unicode and NUL exactly", async () => {
      const { storage } = handle;
      const state = {
        date: new Date("2024-02-29T12:34:56.789Z"),
        map: new Map<unknown, unknown>([
          ["a", 1],
          [2, new Date(5)],
          [{ k: "obj" }, new Set([1n])],
        ]),
        set: new Set<unknown>([1, "x", { y: [2] }]),
        big: 2n ** 70n,
        nested: { deep: [1, { x: [null, true, false] }], empty: {}, none: [] },
        unicode: "héllo 🌍 ✓ 日本語 \u2028",
        nul: "a\u0000b\u0000",
        undef: undefined,
        holes: [1, undefined, 3],
        nan: Number.NaN,
        inf: Number.NEGATIVE_INFINITY,
        negZero: -0,
        max: Number.MAX_SAFE_INTEGER,
        constructor: "a plain key",
        prototype: { constructor: { at: new Date(0) } },
        proto: JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>,
      };
      const req = request("types", { input: { when: new Date(7), tags: new Set(["t"]) } });
      const opened = await storage.openRun(req);
      await opened.finish({
        runs: [response(req, new Map([["k", 1n]]))],
        sessionState: state,
      });
      const loaded = (await storage.readSession("types"))?.sessionState ?? {};
      // toStrictEqual compares `.constructor`s, which here are data: check that key with toEqual.
      const { prototype, ...rest } = loaded;
      const { prototype: expected, ...others } = state;
      expect(rest).toStrictEqual(others);
      expect(prototype).toEqual(expected);
      expect((prototype as { constructor: { at: Date } }).constructor.at).toEqual(new Date(0));
      expect(Object.is(loaded.negZero, -0)).toBe(true);
      expect(Object.hasOwn(loaded, "undef")).toBe(true);
      const proto = loaded.proto as Record<string, unknown>;
      expect(Object.hasOwn(proto, "__proto__")).toBe(true);
      expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      const [stored] = await storage.listRuns("types");
      expect(stored?.input).toStrictEqual({ when: new Date(7), tags: new Set(["t"]) });
      expect(stored?.content).toStrictEqual(new Map([["k", 1n]]));
    });

    it("refuses unstorable state by path, writes nothing, and still records the run", async () => {
      const { storage } = handle;
      await completeRun(storage, "u", { count: 1 });
      const req = request("u");
      const opened = await storage.openRun(req);
      const bad = { count: 2, user: { name: "Ada", onSave() {} } };
      const { error } = await settle(
        opened.finish({ runs: [response(req, "x")], sessionState: bad }),
      );
      expect(error).toBeInstanceOf(UnstorableValueError);
      expect((error as UnstorableValueError).path).toBe("sessionState.user.onSave");
      expect((error as Error).message).toMatch(/^sessionState\.user\.onSave is a function/);
      expect((await storage.readSession("u"))?.sessionState).toEqual({ count: 1 });
      expect((await storage.listRuns("u")).at(-1)?.status).toBe("running");
      // As the runtime does: the same runs again, now as a failure and without state.
      const failed = response(req, { callback: () => {} }, "error", (error as Error).message);
      await opened.finish({ runs: [failed] });
      const recorded = (await storage.listRuns("u")).at(-1);
      expect(recorded).toMatchObject({ status: "error", content: undefined });
      await completeRun(handle.open({ busyTimeoutMs: 50 }), "u", { count: 3 });
    });

    it.each([
      ["a symbol", { s: Symbol("x") }, "sessionState.s is a symbol"],
      [
        "a class instance",
        { at: new URL("https://x.test") },
        "sessionState.at is an instance of URL",
      ],
      [
        "a value in a Map",
        { m: new Map([["k", () => 1]]) },
        'sessionState.m.get("k") is a function',
      ],
    ])("names %s by path", async (_what, state, message) => {
      const req = request("paths");
      const opened = await handle.storage.openRun(req);
      await expect(
        opened.finish({ runs: [response(req, "")], sessionState: state }),
      ).rejects.toThrow(message);
      await opened.finish({ runs: [] });
    });

    it("refuses unstorable content of a completed run and an unstorable input", async () => {
      const { storage } = handle;
      const req = request("content");
      const opened = await storage.openRun(req);
      await expect(
        opened.finish({ runs: [response(req, { fn: () => 1 })], sessionState: {} }),
      ).rejects.toThrow(/^content\.fn is a function/);
      await opened.finish({ runs: [] });
      await expect(storage.openRun(request("input", { input: { when: () => 1 } }))).rejects.toThrow(
        /^input\.when is a function/,
      );
      expect(await storage.readSession("input")).toBeUndefined();
    });

    it("fails reads of an undecodable session with SessionDecodeError; others keep working", async () => {
      const { storage } = handle;
      await completeRun(storage, "good", { ok: 1 });
      await completeRun(storage, "bad", { ok: 2 });
      await handle.sql(
        `update buddy_sessions set session_state = ${undecodable} where session_id = 'bad'`,
      );
      const { error } = await settle(storage.readSession("bad"));
      expect(error).toBeInstanceOf(SessionDecodeError);
      expect((error as SessionDecodeError).sessionId).toBe("bad");
      expect(String(error)).toMatch(/"bad"/);
      await expect(storage.openRun(request("bad"))).rejects.toThrow(SessionDecodeError);
      await expect(storage.listSessions()).rejects.toThrow(SessionDecodeError);
      expect((await storage.readSession("good"))?.sessionState).toEqual({ ok: 1 });
      await completeRun(storage, "good", { ok: 3 });
      await storage.deleteSession("bad");
      expect((await storage.listSessions()).map((s) => s.sessionId)).toEqual(["good"]);
    });

    it("fails on an undecodable run row with SessionDecodeError naming the session", async () => {
      const { storage } = handle;
      await completeRun(storage, "runs-bad", {}, "fine");
      await handle.sql(
        `update buddy_sessions_runs set content = ${undecodable} where session_id = 'runs-bad'`,
      );
      await expect(storage.listRuns("runs-bad")).rejects.toThrow(/"runs-bad"/);
      // Another store reads the history back (this one keeps it from its last run: see below).
      const other = handle.open();
      await expect(other.openRun(request("runs-bad"))).rejects.toThrow(SessionDecodeError);
      // The failed open gave the session back.
      const opened = await other.openRun(request("runs-bad", { historyLimit: 0 }));
      await opened.finish({ runs: [] });
      // Whose run came between this store's last run and its next: it reads the history again.
      await expect(storage.openRun(request("runs-bad"))).rejects.toThrow(SessionDecodeError);
    });

    it("never pollutes prototypes when decoding crafted rows", async () => {
      const { storage } = handle;
      await completeRun(storage, "p1", {});
      await completeRun(storage, "p2", {});
      await handle.sql(
        `update buddy_sessions set session_state = '{"json":{"__proto__":{"polluted":true}}}' where session_id = 'p1'`,
      );
      await handle.sql(
        `update buddy_sessions set session_state = '{"json":{"a":{}},"meta":{"values":{"__proto__.polluted":["undefined"]}}}' where session_id = 'p2'`,
      );
      const state = (await storage.readSession("p1"))?.sessionState ?? {};
      expect(Object.hasOwn(state, "__proto__")).toBe(true);
      expect(Object.getPrototypeOf(state)).toBe(Object.prototype);
      await expect(storage.readSession("p2")).rejects.toThrow(SessionDecodeError);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });

  describe("configuration", () => {
    it.each(["bad-name", "1abc", "a;drop table x", "", "x".repeat(64), "naïve"])(
      "refuses the table name %j with StorageConfigError",
      (tableName) => {
        expect(() => handle.open({ tableName })).toThrow(StorageConfigError);
      },
    );

    it("refuses non-positive timeouts with StorageConfigError", () => {
      expect(() => handle.open({ busyTimeoutMs: 0 })).toThrow(StorageConfigError);
      expect(() => handle.open({ leaseMs: -1 })).toThrow(StorageConfigError);
    });

    it("keeps sessions of another tableName apart", async () => {
      const custom = handle.open({ tableName: "custom_sessions" });
      await completeRun(custom, "t", { in: "custom" });
      expect(await handle.storage.readSession("t")).toBeUndefined();
      expect(await handle.sql("select session_id from custom_sessions")).toEqual([
        { session_id: "t" },
      ]);
      expect(await handle.sql("select status from custom_sessions_runs")).toEqual([
        { status: "completed" },
      ]);
    });
  });

  describe("save cost", () => {
    it("does not grow with the number of earlier runs (same statements, no rewrites)", async () => {
      let log: string[] | undefined;
      const storage = handle.open({ onQuery: (event) => log?.push(event.sql) });
      const statementsOfOneRun = async (sessionId: string) => {
        log = [];
        await completeRun(storage, sessionId, { at: Date.now() }, "x", { historyLimit: 3 });
        const statements = log;
        log = undefined;
        return statements;
      };
      for (let i = 0; i < 3; i++) await completeRun(storage, "few", { i });
      for (let i = 0; i < 60; i++) await completeRun(storage, "many", { i });
      const before = await handle.sql(
        "select run_id, status, updated_at from buddy_sessions_runs where session_id = 'many' order by seq",
      );
      const few = await statementsOfOneRun("few");
      const many = await statementsOfOneRun("many");
      expect(many).toEqual(few);
      expect(many.length).toBeLessThanOrEqual(8);
      const after = await handle.sql(
        "select run_id, status, updated_at from buddy_sessions_runs where session_id = 'many' order by seq",
      );
      expect(after.slice(0, before.length)).toEqual(before);
      expect(after).toHaveLength(before.length + 1);
    });
  });

  describe("through run()", () => {
    const counter = defineWorkflow({
      name: "counter",
      run: async (ctx) => {
        ctx.sessionState.count = Number(ctx.sessionState.count ?? 0) + 1;
        return `count ${ctx.sessionState.count}`;
      },
    });

    it("persists all four return styles", async () => {
      const styles = {
        value: (ctx: { sessionState: Record<string, unknown> }) => {
          ctx.sessionState.value = true;
          return new RunResponse({ content: "v" });
        },
        promise: async (ctx: { sessionState: Record<string, unknown> }) => {
          ctx.sessionState.promise = true;
          return new RunResponse({ content: "p" });
        },
        *sync(ctx: { sessionState: Record<string, unknown> }) {
          ctx.sessionState.sync = true;
          yield "s";
        },
        async *async(ctx: { sessionState: Record<string, unknown> }) {
          ctx.sessionState.async = true;
          yield "a";
        },
      };
      for (const fn of Object.values(styles)) {
        await run(fn, undefined, { storage: handle.storage, sessionId: "styles", logger: quiet });
      }
      const session = await handle.storage.readSession("styles");
      expect(session?.sessionState).toEqual({
        value: true,
        promise: true,
        sync: true,
        async: true,
      });
      const runs = await handle.storage.listRuns("styles");
      expect(runs.map((r) => [r.status, r.content])).toEqual([
        ["completed", "v"],
        ["completed", "p"],
        ["completed", "s"],
        ["completed", "a"],
      ]);
    });

    it("gives each run a history of its own: changing it reaches neither the store nor later runs", async () => {
      const storage = handle.storage;
      const opts = { storage, sessionId: "own-history", logger: quiet };
      const when = new Date("2026-01-02T03:04:05Z");
      const keys = JSON.parse('{"__proto__": {"polluted": true}, "plain": [1, {"deep": "x"}]}');
      const produce = defineWorkflow(async function produce(_ctx, n: number) {
        return new RunResponse({
          content: n === 1 ? { items: [1, 2], keys } : { when, n },
          extraData: { tag: `run ${n}` },
        });
      });
      await run(produce, 1, opts);
      await run(produce, 2, opts);
      const seen: unknown[] = [];
      const shapes: boolean[][] = [];
      const meddle = defineWorkflow(async function meddle(ctx) {
        // What this run reads, then what it does to it.
        seen.push(
          structuredClone(
            ctx.history.map((r) => [r.input, r.content, r.extraData, r.messages.length]),
          ),
        );
        const [first, second] = ctx.history as [RunResponse, RunResponse];
        const content = first.content as { items: number[]; keys: Record<string, unknown> };
        const dated = second.content as { when: Date };
        shapes.push([
          Object.hasOwn(content.keys, "__proto__"),
          Object.getPrototypeOf(content.keys) === Object.prototype,
          dated.when instanceof Date,
        ]);
        content.items.push(99);
        (content.keys.plain as unknown[]).length = 0;
        first.extraData.tag = "changed";
        first.messages.push({ role: "user", content: "added" });
        dated.when.setFullYear(1999);
        second.input = "replaced";
        return "";
      });
      await run(meddle, undefined, opts);
      await run(meddle, undefined, opts);
      const expected = [
        [1, { items: [1, 2], keys }, { tag: "run 1" }, 0],
        [2, { when, n: 2 }, { tag: "run 2" }, 0],
      ];
      expect(seen[0]).toEqual(expected);
      // The second run of `meddle` sees the first's history untouched (and the first `meddle`).
      expect((seen[1] as unknown[]).slice(0, 2)).toEqual(expected);
      // `__proto__` stays a plain key, and a Date a Date, read once or again.
      expect(shapes).toEqual([
        [true, true, true],
        [true, true, true],
      ]);
      // The stored runs are as they were saved.
      const runs = await storage.listRuns("own-history");
      expect(runs.slice(0, 2).map((r) => [r.input, r.content])).toEqual([
        [1, { items: [1, 2], keys }],
        [2, { when, n: 2 }],
      ]);
    });

    it("merges stored state over defaults, or defaults over it with overwriteSessionState", async () => {
      const storage = handle.storage;
      const seen: unknown[] = [];
      const peek = defineWorkflow(async function peek(ctx) {
        seen.push(structuredClone(ctx.sessionState));
        return "";
      });
      await run(counter, undefined, { storage, sessionId: "m", sessionState: { count: 10 } });
      const defaults = { count: 0, theme: { color: "red", size: 1 } };
      await run(peek, undefined, { storage, sessionId: "m", sessionState: defaults });
      await run(peek, undefined, {
        storage,
        sessionId: "m",
        sessionState: { count: 0, theme: { color: "blue" } },
        overwriteSessionState: true,
      });
      expect(seen).toEqual([
        { count: 11, theme: { color: "red", size: 1 } },
        { count: 0, theme: { color: "blue", size: 1 } },
      ]);
      expect(defaults).toEqual({ count: 0, theme: { color: "red", size: 1 } });
    });

    it("records failed, cancelled and unstorable runs with state untouched", async () => {
      const storage = handle.storage;
      await run(counter, undefined, { storage, sessionId: "x" });
      const failing = defineWorkflow(async function failing(ctx) {
        ctx.sessionState.count = 100;
        throw new Error("boom");
      });
      await expect(
        run(failing, undefined, { storage, sessionId: "x", logger: quiet }),
      ).rejects.toThrow("boom");
      const controller = new AbortController();
      const slow = defineWorkflow(async function* slow(ctx) {
        ctx.sessionState.count = 200;
        yield "partial";
        controller.abort();
        await sleep(10);
        yield "never";
      });
      await expect(
        run(slow, undefined, { storage, sessionId: "x", signal: controller.signal, logger: quiet }),
      ).rejects.toThrow(AbortError);
      const unstorable = defineWorkflow(async function unstorable(ctx) {
        ctx.sessionState.count = 300;
        ctx.sessionState.onSave = () => {};
        return "done";
      });
      await expect(
        run(unstorable, undefined, { storage, sessionId: "x", logger: quiet }),
      ).rejects.toThrow(UnstorableValueError);
      expect((await storage.readSession("x"))?.sessionState).toEqual({ count: 1 });
      const statuses = (await storage.listRuns("x")).map((r) => r.status);
      expect(statuses).toEqual(["completed", "error", "cancelled", "error"]);
      expect((await run(counter, undefined, { storage, sessionId: "x" })).content).toBe("count 2");
    });

    it("records a run whose consumer stops or throws at WorkflowStarted, and frees its session", async () => {
      const storage = handle.storage;
      const hello = defineWorkflow(async function* hello() {
        yield "hello";
      });
      let stopped = "";
      for await (const event of execute(hello, undefined, { storage, sessionId: "y" })) {
        stopped = event.runId;
        break;
      }
      const iterator = execute(hello, undefined, { storage, sessionId: "y", logger: quiet })[
        Symbol.asyncIterator
      ]();
      const started = await iterator.next();
      const thrown = await iterator.throw(new Error("consumer gave up"));
      expect(thrown.value).toMatchObject({ event: "WorkflowError", error: "consumer gave up" });
      await iterator.return(undefined);
      const runs = await storage.listRuns("y");
      expect(runs.map((r) => [r.runId, r.status, r.error])).toEqual([
        [stopped, "cancelled", "The consumer stopped iterating"],
        [started.value?.runId, "error", "consumer gave up"],
      ]);
      expect((await run(hello, undefined, { storage, sessionId: "y" })).content).toBe("hello");
    });
  });
});
