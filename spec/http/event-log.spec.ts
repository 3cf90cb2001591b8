import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import {
  agent,
  defineWorkflow,
  type EventBatch,
  execute,
  readEventBatches,
  recoverRuns,
  resume,
  type WorkflowStorage,
} from "buddy-ai";
import { sqliteStorage } from "buddy-ai/sqlite";
import { scriptedModel } from "buddy-ai/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const quiet = { warn: () => {}, debug: () => {} };

const tokens = defineWorkflow(async function* tokens(_ctx, count: number) {
  for (let i = 0; i < count; i++) yield `t${i} `;
});

async function drain(stream: AsyncIterable<{ runId: string; seq?: number }>) {
  const seqs: number[] = [];
  let runId = "";
  for await (const e of stream) {
    seqs.push(e.seq ?? -1);
    runId = e.runId;
  }
  return { seqs, runId };
}

/** The store's logged events of `runId` after `after`. */
function listEvents(storage: WorkflowStorage, runId: string, options?: { after?: number }) {
  if (storage.listEvents === undefined) throw new Error("this store keeps no event log");
  return storage.listEvents(runId, options);
}

/** `target` with some of its methods replaced (the others bound to it). */
function delegate<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(t, key) {
      if (key in overrides) return overrides[key as keyof T];
      const value = Reflect.get(t, key, t);
      return typeof value === "function" ? value.bind(t) : value;
    },
  });
}

/** Streams, with its log kept, a run of an agent's, a child run's and its own deltas. */
async function streamMixed(storage: WorkflowStorage) {
  const tokensOf = (word: string) => Array.from({ length: 12_000 }, (_, i) => `${word}${i} `);
  const writer = agent({
    name: "writer",
    model: scriptedModel([{ repeat: { text: tokensOf("w") } }]),
  });
  const child = defineWorkflow(async function* kid(ctx, n: number) {
    yield* writer.stream(`child ${n}`, ctx);
    yield "child's own. ";
  });
  const parent = defineWorkflow(async function* mixed(ctx) {
    yield* writer.stream("go", ctx);
    yield* ctx.stream(child, 1);
    for (const token of tokensOf("o")) yield token;
  });
  const streamed: string[] = [];
  let runId = "";
  for await (const e of execute(parent, undefined, { storage, eventLog: true })) {
    streamed.push(JSON.stringify(e));
    runId = e.runId;
  }
  return { runId, streamed };
}

describe("the event log (SQLite)", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "buddy-log-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps every event of a logged run, in order, with the seq it streamed", async () => {
    const storage = sqliteStorage({ dbFile: join(dir, "log.db") });
    try {
      // More events than one batch holds: several batches plus the final save's.
      const { seqs, runId } = await drain(execute(tokens, 40_000, { storage, eventLog: true }));
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      const logged = [];
      for (let after = 0; ; ) {
        const page = (await listEvents(storage, runId, { after })) ?? [];
        if (page.length === 0) break;
        logged.push(...page);
        after = page.at(-1)?.seq ?? after;
      }
      expect(logged.map((e) => e.seq)).toEqual(seqs);
      expect(JSON.parse(logged[5]?.data ?? "{}")).toMatchObject({
        event: "RunResponseContent",
        content: "t4 ",
        seq: 6,
        runId,
      });
      expect(logged.at(-1)?.event).toBe("WorkflowCompleted");
      expect(JSON.parse(logged.at(-2)?.data ?? "{}")).toMatchObject({ content: "t39999 " });
      // The text of the last batch, saved with the run, is kept once: in the run's row.
      const raw = new Database(join(dir, "log.db"), { readonly: true });
      const rows = raw
        .prepare("select data from buddy_sessions_events where root_run_id = ? order by seq")
        .all(runId) as { data: string }[];
      raw.close();
      expect(rows.length).toBeGreaterThan(2);
      expect(rows[0]?.data).toContain("t100 t101 ");
      expect(rows.at(-1)?.data).not.toContain("t39999");
      // A run not asked to log keeps nothing.
      const plain = await drain(execute(tokens, 3, { storage }));
      expect(await listEvents(storage, plain.runId)).toEqual([]);
      // Nothing to recover, and a bad `after` is refused.
      expect(await recoverRuns({ storage, workflows: [tokens] })).toEqual([]);
      await expect(listEvents(storage, runId, { after: -1 })).rejects.toThrow(/after/);
    } finally {
      await storage.close();
    }
  });

  it("keeps the events of a run whose final save failed: all it streamed, its failure last", async () => {
    const storage = sqliteStorage({ dbFile: join(dir, "failed-save.db") });
    try {
      const unsaved = defineWorkflow(async function* unsaved(ctx) {
        yield "one ";
        yield "two";
        ctx.sessionState.onSave = () => {}; // a state the save refuses
      });
      const streamed: string[] = [];
      let runId = "";
      await expect(
        (async () => {
          const options = { storage, eventLog: true, logger: quiet };
          for await (const e of execute(unsaved, undefined, options)) {
            streamed.push(`${e.seq}:${e.event}`);
            runId = e.runId;
          }
        })(),
      ).rejects.toThrow("onSave");
      expect(streamed).toEqual([
        "1:WorkflowStarted",
        "2:RunResponseContent",
        "3:RunResponseContent",
        "5:WorkflowError",
      ]);
      const logged = await listEvents(storage, runId);
      expect(logged.map((e) => `${e.seq}:${e.event}`)).toEqual(streamed);
    } finally {
      await storage.close();
    }
  });

  it("gives back every event of an agent's, a child's and its own deltas as the text it streamed", async () => {
    const storage = sqliteStorage({ dbFile: join(dir, "mixed.db") });
    try {
      const { runId, streamed } = await streamMixed(storage);
      const logged: string[] = [];
      for (let after = 0; ; ) {
        const page = (await listEvents(storage, runId, { after })) ?? [];
        if (page.length === 0) break;
        logged.push(...page.map((e) => e.data));
        after = page.at(-1)?.seq ?? after;
      }
      expect(logged.length).toBeGreaterThan(36_000);
      expect(logged).toEqual(streamed);
    } finally {
      await storage.close();
    }
  });

  it("lets a store of one's own answer listEvents from the batches it was given", async () => {
    const inner = sqliteStorage({ dbFile: join(dir, "own.db") });
    const logs = new Map<string, EventBatch[]>();
    // The store's own log: every batch the runtime hands over, kept in memory by run.
    const keep = (runId: string, batches: readonly EventBatch[] = []) =>
      logs.set(runId, [...(logs.get(runId) ?? []), ...batches]);
    const storage = delegate(inner, {
      openRun: async (request) => {
        const run = await inner.openRun(request);
        return delegate(run, {
          appendEvents: async (batch) => {
            keep(request.runId, [batch]);
          },
          finish: (outcome) => {
            keep(request.runId, outcome.events);
            return run.finish({ ...outcome, events: [] });
          },
        });
      },
    });
    try {
      const { runId, streamed } = await streamMixed(storage);
      expect(logs.get(runId)?.length).toBeGreaterThan(2);
      expect(await listEvents(inner, runId)).toEqual([]);
      for (const after of [0, 1, 4_096, 9_000, streamed.length - 1, streamed.length]) {
        const events = readEventBatches(logs.get(runId) ?? [], after);
        expect(events.map((e) => e.data)).toEqual(streamed.slice(after));
        expect(events.map((e) => e.seq)).toEqual(
          streamed.slice(after).map((_, i) => after + i + 1),
        );
      }
    } finally {
      await inner.close();
    }
  });

  it("reads back the whole log of a run that suspended and resumed, its content grown since", async () => {
    const storage = sqliteStorage({ dbFile: join(dir, "resumed.db") });
    const ask = defineWorkflow(async function* ask(ctx) {
      for (let i = 0; i < 3; i++) yield `before${i} `;
      const word = await ctx.waitFor<string>("word");
      for (let i = 0; i < 3; i++) yield `${word}${i} `;
    });
    try {
      const first: string[] = [];
      let runId = "";
      for await (const e of execute(ask, undefined, { storage, eventLog: true })) {
        first.push(JSON.stringify(e));
        runId = e.runId;
      }
      expect(JSON.parse(first.at(-1) ?? "{}")).toMatchObject({ event: "WorkflowSuspended" });
      const second: string[] = [];
      for await (const e of resume(ask, runId, { word: "after" }, { storage, eventLog: true })) {
        second.push(JSON.stringify(e));
      }
      expect(JSON.parse(second.at(-1) ?? "{}")).toMatchObject({
        event: "WorkflowCompleted",
        content: "before0 before1 before2 after0 after1 after2 ",
      });
      const logged = (await listEvents(storage, runId)).map((e) => e.data);
      expect(logged).toEqual([...first, ...second]);
    } finally {
      await storage.close();
    }
  });

  it("deletes the logs of runs that ended longer ago than eventRetentionMs", async () => {
    const dbFile = join(dir, "retention.db");
    const first = sqliteStorage({ dbFile, eventRetentionMs: 1 });
    const old = await drain(execute(tokens, 3, { storage: first, eventLog: true }));
    await first.close();
    const reader = sqliteStorage({ dbFile });
    expect((await listEvents(reader, old.runId)).length).toBe(5);
    await reader.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // A new store prunes when its first logged run starts (then at most every ten minutes).
    const second = sqliteStorage({ dbFile, eventRetentionMs: 1 });
    try {
      const fresh = await drain(execute(tokens, 3, { storage: second, eventLog: true }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await listEvents(second, old.runId)).toEqual([]);
      expect((await listEvents(second, fresh.runId)).length).toBe(5);
    } finally {
      await second.close();
    }
  });
});
