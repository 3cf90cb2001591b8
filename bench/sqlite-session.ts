/**
 * A three-step persisted run on SQLite, µs per run: `run(counter, input, { storage, sessionId })`
 * with `sqliteStorage` (history of 10 loaded, state changed every run), beside the minimal
 * hand-written better-sqlite3 program doing what the contract requires: WAL,
 * synchronous=NORMAL, cached statements, its own minimal tables; take the lease (BEGIN
 * IMMEDIATE), read the state and the last 10 runs' content, the same three async-generator
 * steps, then save the state (version checked), insert the run row and clear the lease in one
 * transaction. Interleaved rounds with a GC before each (bench/support/measure.ts).
 * Also: runs #10,091–#11,590 of one session against runs #11–#110 of fresh sessions.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { run, type WorkflowStorage } from "buddy-ai";
import { sqliteStorage } from "buddy-ai/sqlite";
import { interleave, report } from "./support/measure.js";
import { counter, type Input, quiet, type State, threeSteps } from "./support/workload.js";

const LEASE_MS = 30_000;

/** The baseline program: its own tables and statements, prepared once. */
function baseline(file: string) {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec(`
    create table sessions (id text primary key, state text not null, version integer not null,
      lease_owner text, lease_expires_at integer);
    create table runs (run_id text primary key, session_id text not null, seq integer not null,
      status text not null, input text not null, content text not null,
      created_at integer not null, unique (session_id, seq));`);
  const lease = db.prepare(
    `insert into sessions (id, state, version, lease_owner, lease_expires_at)
     values (?, '{}', 0, ?, ?) on conflict (id) do update
     set lease_owner = excluded.lease_owner, lease_expires_at = excluded.lease_expires_at
     where lease_owner is null or lease_expires_at < ?`,
  );
  const readState = db.prepare<[string], { state: string; version: number }>(
    "select state, version from sessions where id = ?",
  );
  const history = db
    .prepare<[string], string>(
      "select content from runs where session_id = ? order by seq desc limit 10",
    )
    .pluck();
  const saveState = db.prepare(
    `update sessions set state = ?, version = version + 1, lease_owner = null,
     lease_expires_at = null where id = ? and version = ? and lease_owner = ?`,
  );
  const insertRun = db.prepare("insert into runs values (?, ?, ?, 'completed', ?, ?, ?)");
  const claim = db.transaction((sessionId: string, owner: string, now: number) => {
    if (lease.run(sessionId, owner, now + LEASE_MS, now).changes !== 1) {
      throw new Error("baseline: session busy");
    }
    const row = readState.get(sessionId);
    if (row === undefined) throw new Error("baseline: session missing");
    return row;
  });
  const save = db.transaction(
    (
      sessionId: string,
      owner: string,
      version: number,
      state: State,
      input: Input,
      content: string,
    ) => {
      if (saveState.run(JSON.stringify(state), sessionId, version, owner).changes !== 1) {
        throw new Error("baseline: session changed under the lease");
      }
      insertRun.run(owner, sessionId, version + 1, JSON.stringify(input), content, Date.now());
    },
  );
  return {
    async run(sessionId: string, input: Input): Promise<void> {
      const owner = randomUUID(); // the run's id, and the lease's owner
      const { state, version } = claim.immediate(sessionId, owner, Date.now());
      const sessionState = JSON.parse(state) as State;
      const past = history.all(sessionId).reverse();
      let content = "";
      for await (const text of threeSteps(sessionState, past, input)) content += text;
      save(sessionId, owner, version, sessionState, input, content);
    },
    count: (sessionId: string) =>
      (JSON.parse(readState.get(sessionId)?.state ?? "{}") as State).count,
    close: () => db.close(),
  };
}

function ours(storage: WorkflowStorage, sessionId: string) {
  return (i: number) => run(counter, { i }, { storage, sessionId, logger: quiet });
}

/** Prints µs/run of ours vs the baseline, and of run #10,000 vs run #10 of a session. */
export async function main(): Promise<void> {
  console.log("\n# sqlite session (median [fastest–slowest] of 15 rounds per side)");
  const dir = mkdtempSync(join(tmpdir(), "buddy-bench-"));
  const storage = sqliteStorage({ dbFile: join(dir, "ours.db") });
  const hand = baseline(join(dir, "baseline.db"));
  try {
    const [oursUs, baseUs] = await interleave(
      [{ step: ours(storage, "bench") }, { step: (i) => hand.run("bench", { i }) }],
      { rounds: 15, runs: 300 },
    );
    const saved = [(await storage.readSession("bench"))?.sessionState.count, hand.count("bench")];
    if (saved[0] !== saved[1]) throw new Error(`the two sides saved ${saved.join(" and ")} runs`);
    report("sqlite persisted run", oursUs, baseUs, "µs/run", 1.3);

    // One session brought to run #9,990, its next runs against runs #11–#110 of a new session
    // (seeded with 10 runs, untimed, before each round: history is full on both sides).
    const late = ours(storage, "late");
    for (let i = 0; i < 9_990; i++) await late(i);
    let early = ours(storage, "early-0");
    let sessions = 0;
    const [lateUs, earlyUs] = await interleave(
      [
        { step: late },
        {
          prepare: async () => {
            early = ours(storage, `early-${++sessions}`);
            for (let i = 0; i < 10; i++) await early(i);
          },
          step: (i) => early(i),
        },
      ],
      { rounds: 15, runs: 100 },
    );
    const name = "sqlite runs #10,091–#11,590 vs #11–#110 of a session";
    report(name, lateUs, earlyUs, "µs/run", 1.2);
  } finally {
    await storage.close();
    hand.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
