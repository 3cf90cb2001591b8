/**
 * What durability costs. (1) A three-step persisted run whose three steps are `ctx.step`s,
 * journaled before each resolves, beside the same run with plain steps, on SQLite and on
 * PostgreSQL: the journal is one statement per step (one commit on SQLite, one round trip on
 * Postgres). (2) Replaying a journaled step: a run replaying 1,000 journaled steps (from a
 * store that hands them over, so no I/O is measured), per step, beside a native `await` of the
 * recorded value. (3) A suspend + resume round trip on SQLite (a run that waits, then its
 * resume answering it) beside one run doing the same steps without waiting. Interleaved rounds
 * with a GC before each (bench/support/measure.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  defineWorkflow,
  RunResponse,
  resume,
  run,
  type StepRecord,
  type WorkflowContext,
  type WorkflowStorage,
} from "buddy-ai";
import { postgresStorage } from "buddy-ai/postgres";
import { sqliteStorage } from "buddy-ai/sqlite";
import { startTestPostgres } from "../spec/support/postgres-server.js";
import { interleave, report } from "./support/measure.js";
import { counter, quiet, type State } from "./support/workload.js";

/** The workload's three steps, each a journaled `ctx.step`. */
const durable = defineWorkflow({
  name: "durable",
  async *run(ctx, input: { i: number }) {
    const state = ctx.sessionState as State;
    const count = await ctx.step("count", () => Number(state.count ?? 0) + 1);
    state.count = count;
    yield `Step 1 of run ${count}. `;
    const topic = await ctx.step("topic", () => `topic ${count} (input ${input.i})`);
    state.topic = topic;
    yield `Step 2 after ${ctx.history.length} earlier runs. `;
    yield await ctx.step("close", () => "Step 3.");
  },
});

async function persisted(name: string, storage: WorkflowStorage, target: number): Promise<void> {
  const [withSteps, without] = await interleave(
    [
      { step: (i) => run(durable, { i }, { storage, sessionId: "durable", logger: quiet }) },
      { step: (i) => run(counter, { i }, { storage, sessionId: "plain", logger: quiet }) },
    ],
    { rounds: 15, runs: 200 },
  );
  report(`${name}: three journaled steps vs plain steps`, withSteps, without, "µs/run", target);
  const perStep = (withSteps.median - without.median) / 3;
  console.log(
    `${name}: one journaled step costs ${perStep.toFixed(1)} µs (medians' difference / 3)`,
  );
}

/** Two steps around a wait for approval. */
const approval = defineWorkflow({
  name: "approval",
  async *run(ctx, input: { i: number }) {
    const quote = await ctx.step("quote", () => input.i);
    yield `quote ${quote}. `;
    const answer = await ctx.waitFor<{ approved: boolean }>("approval");
    yield answer.approved ? await ctx.step("pay", () => "paid.") : "refused.";
  },
});

/** The same two steps, no wait. */
const straight = defineWorkflow({
  name: "straight",
  async *run(ctx, input: { i: number }) {
    const quote = await ctx.step("quote", () => input.i);
    yield `quote ${quote}. `;
    yield await ctx.step("pay", () => "paid.");
  },
});

async function roundTrip(storage: WorkflowStorage): Promise<void> {
  const [trip, once] = await interleave(
    [
      {
        step: async (i) => {
          const asked = await run(
            approval,
            { i },
            { storage, sessionId: `trip-${i % 50}`, logger: quiet },
          );
          const answers = { approval: { approved: true } };
          for await (const _ of resume(approval, asked.runId, answers, {
            storage,
            logger: quiet,
          })) {
            // drain
          }
        },
      },
      {
        step: (i) => run(straight, { i }, { storage, sessionId: `once-${i % 50}`, logger: quiet }),
      },
    ],
    { rounds: 15, runs: 100 },
  );
  report(
    "sqlite: suspend + resume round trip vs the same steps without a wait",
    trip,
    once,
    "µs/run",
  );
}

const STEPS = 1_000;

/** A store whose run hands over a journal of `STEPS` steps, and writes nothing. */
function journalStore(): WorkflowStorage {
  const journal = new Map<string, StepRecord[]>();
  const steps = Array.from({ length: STEPS }, (_, seq) => ({
    seq,
    name: "step",
    kind: "step",
    status: "completed" as const,
    output: seq,
    startedAt: 0,
    endedAt: 0,
  }));
  const nothing = async () => undefined;
  return {
    readSession: nothing,
    listSessions: async () => [],
    deleteSession: async () => {},
    renameSession: async () => false,
    listRuns: async () => [],
    getRun: nothing,
    listSteps: async () => [],
    listInterruptedRuns: async () => [],
    listSuspendedRuns: async () => [],
    close: async () => {},
    async openRun(request) {
      journal.set(request.runId, steps);
      return { session: undefined, history: [], journal, finish: async () => {} };
    },
  };
}

async function replay(): Promise<void> {
  const storage = journalStore();
  const replayAll = defineWorkflow(async function replayAll(ctx: WorkflowContext) {
    let sum = 0;
    for (let i = 0; i < STEPS; i++) sum += await ctx.step("step", () => -1);
    return new RunResponse({ content: String(sum) });
  });
  const recorded = Array.from({ length: STEPS }, (_, i) => i);
  const native = async () => {
    let sum = 0;
    for (let i = 0; i < STEPS; i++) sum += await Promise.resolve(recorded[i] ?? 0);
    return sum;
  };
  const [ours, baseline] = await interleave(
    [
      { step: () => run(replayAll, undefined, { storage, sessionId: "r", logger: quiet }) },
      { step: native },
    ],
    { rounds: 15, runs: 20, scale: 1e3 / STEPS },
  );
  report("replaying a journaled step (1,000 per run)", ours, baseline, "ns/step");
}

export async function main(): Promise<void> {
  console.log("\n# durable steps (median [fastest–slowest] of 15 rounds per side)");
  const dir = mkdtempSync(join(tmpdir(), "buddy-bench-"));
  const sqlite = sqliteStorage({ dbFile: join(dir, "durable.db") });
  try {
    await persisted("sqlite", sqlite, 1.25);
    await roundTrip(sqlite);
  } finally {
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const server = await startTestPostgres();
  const postgres = postgresStorage({ connectionString: server.url, schema: "durable" });
  try {
    await persisted(`postgres (${server.kind})`, postgres, 1.25);
  } finally {
    await postgres.close();
    await server.stop();
  }
  await replay();
}
