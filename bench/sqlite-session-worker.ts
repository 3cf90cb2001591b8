/**
 * One side of `bench/sqlite-session.ts` in a process of its own, so that the two sides share no
 * heap: `ours` (`run` with `sqliteStorage`), `baseline` (the minimal hand-written better-sqlite3
 * program), `recorded` (the same recording the running run) or `storeRows` (the same writing the
 * store's own rows), on its own database file. It warms up and prints `ready`; then each
 * stdin line `round` runs `runs` persisted runs of session `sessionId` and prints `done`;
 * `exit` closes the database and exits.
 *
 *   node --import tsx bench/sqlite-session-worker.ts '{"side":"ours","file":…,"sessionId":…,"runs":…}'
 */
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import Database from "better-sqlite3";
import { run } from "buddy-ai";
import { sqliteStorage } from "buddy-ai/sqlite";
import { counter, type Input, quiet, type State, threeSteps } from "./support/workload.js";

interface Task {
  readonly side: "ours" | "baseline" | "recorded" | "storeRows";
  readonly file: string;
  readonly sessionId: string;
  readonly runs: number;
}

const LEASE_MS = 30_000;

/**
 * The baseline program: WAL, synchronous=NORMAL, its own minimal tables, statements prepared
 * once; take the lease (BEGIN IMMEDIATE), read the state and the last 10 runs' content, the
 * three async-generator steps, then save the state (version checked), insert the run row and
 * clear the lease in one transaction.
 *
 * `recorded`: the same, but the run's row is inserted as `running` (with its input) in the
 * claim's transaction and completed by the save, as durable runs need (a run in flight is
 * visible, and one whose process died is found and run again).
 */
function baseline(file: string, recorded = false) {
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
  // The recording program's runs table also holds the run in flight: only completed runs count.
  const history = db
    .prepare<[string], string>(
      recorded
        ? "select content from runs where session_id = ? and status = 'completed' order by seq desc limit 10"
        : "select content from runs where session_id = ? order by seq desc limit 10",
    )
    .pluck();
  const saveState = db.prepare(
    `update sessions set state = ?, version = version + 1, lease_owner = null,
     lease_expires_at = null where id = ? and version = ? and lease_owner = ?`,
  );
  const insertRun = db.prepare("insert into runs values (?, ?, ?, 'completed', ?, ?, ?)");
  const startRun = db.prepare("insert into runs values (?, ?, ?, 'running', ?, '', ?)");
  const endRun = db.prepare(
    "update runs set status = 'completed', content = ? where run_id = ? and status = 'running'",
  );
  const claim = db.transaction((sessionId: string, owner: string, now: number, input: Input) => {
    if (lease.run(sessionId, owner, now + LEASE_MS, now).changes !== 1) {
      throw new Error("baseline: session busy");
    }
    const row = readState.get(sessionId);
    if (row === undefined) throw new Error("baseline: session missing");
    if (recorded) startRun.run(owner, sessionId, row.version + 1, JSON.stringify(input), now);
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
      if (recorded) {
        if (endRun.run(content, owner).changes !== 1) throw new Error("baseline: run not running");
      } else
        insertRun.run(owner, sessionId, version + 1, JSON.stringify(input), content, Date.now());
    },
  );
  return {
    async run(sessionId: string, input: Input): Promise<void> {
      const owner = randomUUID(); // the run's id, and the lease's owner
      const { state, version } = claim.immediate(sessionId, owner, Date.now(), input);
      const sessionState = JSON.parse(state) as State;
      const past = history.all(sessionId).reverse();
      let content = "";
      for await (const text of threeSteps(sessionState, past, input)) content += text;
      save(sessionId, owner, version, sessionState, input, content);
    },
    close: async () => db.close(),
  };
}

/**
 * `recorded`, writing the rows the store writes: its own tables (made by `sqliteStorage`'s
 * migrations, so with its indexes), every value as it encodes plain JSON, the run's row with
 * the columns a `RunResponse` needs (those a run changes written by the save), and the
 * session's `updated_at` (which `listSessions` orders by) set by the save. It reads the state
 * and the history on every run.
 */
async function storeRows(file: string) {
  const storage = sqliteStorage({ dbFile: file });
  await storage.listSessions(); // creates the tables
  await storage.close();
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  const encode = (value: unknown) => JSON.stringify({ json: value });
  const workflowData = '{"json":{"name":"counter","description":null}}';
  // The lease of a session that exists, taken by an update; a new session is inserted.
  const lease = db.prepare(
    `update buddy_sessions set lease_owner = ?, lease_run_id = ?, lease_expires_at = ?,
       run_count = run_count + 1
     where session_id = ? and (lease_owner is null or lease_expires_at < ?)`,
  );
  const create = db.prepare(
    `insert into buddy_sessions (session_id, workflow_id, session_state, extra_data,
       workflow_data, version, run_count, lease_owner, lease_run_id, lease_expires_at,
       created_at, updated_at)
     values (?, 'counter', '{"json":{}}', '{"json":{}}', ?, 0, 1, ?, ?, ?, ?, ?)
     on conflict (session_id) do nothing`,
  );
  const readState = db.prepare<[string], { state: string; version: number; seq: number }>(
    `select session_state as state, version, run_count as seq from buddy_sessions
     where session_id = ?`,
  );
  const history = db
    .prepare<[string], string>(
      `select content from buddy_sessions_runs where session_id = ? and status = 'completed'
       and parent_run_id is null order by seq desc limit 10`,
    )
    .pluck();
  const startRun = db.prepare(
    `insert into buddy_sessions_runs (run_id, session_id, workflow_id, seq, position, status,
       content_type, input, content, metrics, messages, extra_data, created_at, updated_at)
     values (?, ?, 'counter', ?, 0, 'running', 'str', ?, '{"json":null}', '{"json":{}}',
       '{"json":[]}', '{"json":{}}', ?, ?)`,
  );
  const saveState = db.prepare(
    `update buddy_sessions set session_state = ?, version = version + 1, lease_owner = null,
       lease_expires_at = null, updated_at = ?
     where session_id = ? and version = ? and lease_owner = ?`,
  );
  const endRun = db.prepare(
    `update buddy_sessions_runs set status = 'completed', content = ?, metrics = ?,
       updated_at = ? where run_id = ? and status = 'running'`,
  );
  const claim = db.transaction((sessionId: string, owner: string, now: number, input: Input) => {
    const expires = now + LEASE_MS;
    if (
      lease.run(owner, owner, expires, sessionId, now).changes !== 1 &&
      create.run(sessionId, workflowData, owner, owner, expires, now, now).changes !== 1
    ) {
      throw new Error("storeRows: session busy");
    }
    const row = readState.get(sessionId);
    if (row === undefined) throw new Error("storeRows: session missing");
    startRun.run(owner, sessionId, row.seq, encode(input), now, now);
    return row;
  });
  const save = db.transaction(
    (
      sessionId: string,
      owner: string,
      version: number,
      state: State,
      content: string,
      ms: number,
    ) => {
      const now = Date.now();
      if (saveState.run(encode(state), now, sessionId, version, owner).changes !== 1) {
        throw new Error("storeRows: session changed under the lease");
      }
      const metrics = encode({ durationMs: ms });
      if (endRun.run(encode(content), metrics, now, owner).changes !== 1) {
        throw new Error("storeRows: run not running");
      }
    },
  );
  return {
    async run(sessionId: string, input: Input): Promise<void> {
      const start = performance.now();
      const owner = randomUUID(); // the run's id, and the lease's owner
      const { state, version } = claim.immediate(sessionId, owner, Date.now(), input);
      const sessionState = (JSON.parse(state) as { json: State }).json;
      const past = history
        .all(sessionId)
        .map((text) => (JSON.parse(text) as { json: unknown }).json);
      let content = "";
      for await (const text of threeSteps(sessionState, past.reverse(), input)) content += text;
      save(sessionId, owner, version, sessionState, content, performance.now() - start);
    },
    close: async () => db.close(),
  };
}

/** Ours: `run(counter, input, { storage, sessionId })` on `sqliteStorage`. */
function ours(file: string) {
  const storage = sqliteStorage({ dbFile: file });
  return {
    run: (sessionId: string, input: Input) =>
      run(counter, input, { storage, sessionId, logger: quiet }),
    close: () => storage.close(),
  };
}

const task = JSON.parse(process.argv[2] ?? "{}") as Task;
const side =
  task.side === "ours"
    ? ours(task.file)
    : task.side === "storeRows"
      ? await storeRows(task.file)
      : baseline(task.file, task.side === "recorded");
let i = 0;
for (let n = 0; n < 300; n++) await side.run(task.sessionId, { i: i++ });
process.stdout.write("ready\n");
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "exit") break;
  for (let n = 0; n < task.runs; n++) await side.run(task.sessionId, { i: i++ });
  process.stdout.write("done\n");
}
await side.close();
