/**
 * Persisted runs on SQLite: a three-step workflow (read the session, change its state, save state
 * plus a run row) through `run()` and the store, beside a hand-written better-sqlite3 baseline
 * doing the same reads and writes with cached statements in the same transaction shape (WAL,
 * synchronous=NORMAL). The state changes on every run (SQLite skips writing unchanged rows).
 * Also: the cost of run #10,000 in one session against run #10.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { RunResponse, run, type WorkflowContext, type WorkflowStorage } from "buddy-ai";
import { sqliteStorage } from "buddy-ai/sqlite";
import { mergeSessionState } from "../lib/session/merge-state.js";
import { report } from "./support/measure.js";

const RUNS = 3_000;
const quiet = { warn: () => {}, debug: () => {} };

/** The workflow: read the counter, compute, write it back (a new value every run). */
async function counter(ctx: WorkflowContext): Promise<RunResponse> {
  const count = Number(ctx.sessionState.count ?? 0);
  const next = count + 1;
  ctx.sessionState.count = next;
  ctx.sessionState.lastTopic = `topic ${next % 7}`;
  return new RunResponse({ content: `count is ${next}` });
}

type Step = (i: number) => Promise<unknown>;

/**
 * µs per run of each step function: rounds of `runs` runs, the steps taking turns round by
 * round (so a busy machine slows all of them alike), the median round of each.
 */
async function perRun(steps: readonly Step[], runs = RUNS, rounds = 7): Promise<number[]> {
  for (const step of steps) for (let i = 0; i < 300; i++) await step(i);
  const times = steps.map((): number[] => []);
  for (let r = 0; r < rounds; r++) {
    for (const [k, step] of steps.entries()) {
      const start = performance.now();
      for (let i = 0; i < runs; i++) await step(r * runs + i);
      times[k]?.push(((performance.now() - start) * 1000) / runs);
    }
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)] ?? Number.NaN);
}

function ours(storage: WorkflowStorage, sessionId: string) {
  return (i: number) => run(counter, { i }, { storage, sessionId, logger: quiet });
}

/** The same run driving the store directly: `openRun`, the workflow, `finish`. */
function storeOnly(storage: WorkflowStorage, sessionId: string) {
  const workflowData = { name: "counter", description: undefined };
  return async (i: number) => {
    const runId = randomUUID();
    const session = await storage.openRun({
      sessionId,
      runId,
      workflowId: "counter",
      workflowData,
      userId: undefined,
      sessionName: undefined,
      input: { i },
      historyLimit: 10,
      signal: undefined,
    });
    const sessionState = mergeSessionState(session.session?.sessionState ?? {}, {}, false);
    const ctx = { sessionState, history: session.history } as unknown as WorkflowContext;
    const response = await counter(ctx);
    Object.assign(response, { runId, sessionId, workflowId: "counter", status: "completed" });
    await session.finish({ runs: [response], sessionState });
  };
}

/**
 * The same reads and writes by hand, on tables of the same schema: cached statements, JSON, and
 * the same transaction shape (claim, load history, start the run row; then save state and end the
 * run row in one transaction).
 */
async function baseline(file: string, sessionId: string, historyLimit = 10) {
  const schema = sqliteStorage({ dbFile: file }); // creates the tables
  await schema.readSession(sessionId);
  await schema.close();
  const db = new Database(file, { timeout: 5_000 });
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  const read = db.prepare("select * from buddy_sessions where session_id = ?");
  const create = db.prepare(
    `insert into buddy_sessions (session_id, workflow_id, session_state, extra_data,
     workflow_data, version, run_count, lease_owner, lease_run_id, lease_expires_at, created_at,
     updated_at) values (?, 'counter', '{}', '{}', '{}', 0, 1, ?, ?, ?, ?, ?)
     on conflict (session_id) do nothing`,
  );
  const claim = db.prepare(
    `update buddy_sessions set lease_owner = ?, lease_run_id = ?, lease_expires_at = ?,
     run_count = ? where session_id = ? and run_count = ? and lease_owner is null`,
  );
  const history = db.prepare(
    `select * from buddy_sessions_runs where session_id = ? and status = 'completed'
     and parent_run_id is null order by seq desc limit ?`,
  );
  const start = db.prepare(
    `insert into buddy_sessions_runs values (?, ?, null, 'counter', ?, 0, 'running', 'str', ?,
     'null', '{}', '[]', '{}', null, ?, ?)`,
  );
  const begin = db.prepare("begin");
  const commit = db.prepare("commit");
  const save = db.prepare(
    `update buddy_sessions set session_state = ?, version = ?, lease_owner = null,
     lease_run_id = null, lease_expires_at = null, updated_at = ?
     where session_id = ? and version = ? and lease_owner = ?`,
  );
  const end = db.prepare(
    `update buddy_sessions_runs set status = 'completed', content_type = 'str', content = ?,
     metrics = ?, messages = '[]', extra_data = '{}', error = null, updated_at = ? where run_id = ?`,
  );
  type Row = Record<string, string | number | null>;
  const step = async (i: number) => {
    const owner = randomUUID();
    const runId = randomUUID();
    const now = Date.now();
    let row = read.get(sessionId) as Row | undefined;
    if (row === undefined) {
      create.run(sessionId, owner, runId, now + 15_000, now, now);
      row = { session_state: "{}", version: 0, run_count: 0 };
    } else {
      claim.run(owner, runId, now + 15_000, Number(row.run_count) + 1, sessionId, row.run_count);
    }
    const state = JSON.parse(String(row.session_state)) as Record<string, unknown>;
    const past = (history.all(sessionId, historyLimit) as Row[]).reverse().map((p) => ({
      input: JSON.parse(String(p.input)),
      content: JSON.parse(String(p.content)),
      metrics: JSON.parse(String(p.metrics)),
      messages: JSON.parse(String(p.messages)),
      extraData: JSON.parse(String(p.extra_data)),
    }));
    start.run(runId, sessionId, Number(row.run_count) + 1, JSON.stringify({ i }), now, now);
    const ctx = { sessionState: state, history: past } as unknown as WorkflowContext;
    const response = await counter(ctx);
    begin.run();
    const version = Number(row.version);
    save.run(JSON.stringify(state), version + 1, Date.now(), sessionId, version, owner);
    end.run(JSON.stringify(response.content), JSON.stringify({ durationMs: 0.01 }), now, runId);
    commit.run();
  };
  return { step, close: () => db.close() };
}

/** Prints µs/run through `run()` + store vs the baseline, and run #10,000 vs run #10. */
export async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "buddy-bench-"));
  try {
    const storage = sqliteStorage({ dbFile: join(dir, "ours.db") });
    const hand = await baseline(join(dir, "baseline.db"), "bench");
    const [oursUs = 0, storeUs = 0, baseUs = 0] = await perRun([
      ours(storage, "bench"),
      storeOnly(storage, "bench-store"),
      hand.step,
    ]);
    report("sqlite persisted run", oursUs, baseUs, "µs/run", 2.0);
    report("  of which the store (openRun + finish, no run())", storeUs, baseUs, "µs/run");

    // Run #10 vs run #10,000: one session brought to run #9,990, then runs #9,991–#10,010 of it
    // alternate with runs #1–#20 of a new session; the median of each.
    const late = ours(storage, "late");
    for (let i = 0; i < 9_990; i++) await late(i);
    const early = ours(storage, "early");
    const times: [number[], number[]] = [[], []];
    for (let i = 0; i < 20; i++) {
      for (const [k, step] of [early, late].entries()) {
        const start = performance.now();
        await step(i);
        times[k as 0 | 1].push((performance.now() - start) * 1000);
      }
    }
    const median = (t: number[]) => t.sort((a, b) => a - b)[10] ?? Number.NaN;
    report(
      "sqlite run #10,000 vs run #10 of one session",
      median(times[1]),
      median(times[0]),
      "µs/run",
      1.2,
    );
    await storage.close();
    hand.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
