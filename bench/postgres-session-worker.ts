/**
 * One worker process of `bench/postgres-session.ts`. It opens a postgres store and a hand-written
 * `pg` baseline on the same server (tables of the same schema, in two schemas), warms both up,
 * prints `ready`, then for every line `ours` or `baseline` on stdin runs `runs` persisted runs on
 * its own session that way and prints `done`; it exits on `exit`.
 *
 *   node --import tsx bench/postgres-session-worker.ts '{"url":…,"schemas":…,"sessionId":…,"runs":…}'
 */
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { RunResponse, run, type WorkflowContext } from "buddy-ai";
import { postgresStorage } from "buddy-ai/postgres";
import pg from "pg";

interface Task {
  readonly url: string;
  /** Schemas of the two sides' tables (created by `bench/postgres-session.ts`). */
  readonly schemas: { readonly ours: string; readonly baseline: string };
  readonly sessionId: string;
  readonly runs: number;
}

const task = JSON.parse(process.argv[2] ?? "{}") as Task;
const quiet = { warn: () => {}, debug: () => {} };

/** The workflow: read the counter, compute, write it back (a new value every run). */
async function counter(ctx: WorkflowContext): Promise<RunResponse> {
  const next = Number(ctx.sessionState.count ?? 0) + 1;
  ctx.sessionState.count = next;
  ctx.sessionState.lastTopic = `topic ${next % 7}`;
  return new RunResponse({ content: `count is ${next}` });
}

/**
 * The store's statements by hand, in the same transaction shape: read the session, claim its
 * lease (compare-and-swap), load the history, insert the run as running; run the workflow; then
 * save the state (version and lease checked) and end the run row in one transaction. Values are
 * plain JSON text in the same `json` columns.
 */
function baseline(pool: pg.Pool, schema: string, sessionId: string) {
  const t = `"${schema}".buddy_sessions`;
  const runs = `"${schema}".buddy_sessions_runs`;
  type Row = { session_state: Record<string, unknown>; version: string; run_count: string };
  return async (i: number) => {
    const owner = randomUUID();
    const runId = randomUUID();
    const now = Date.now();
    const found = await pool.query<Row>(`select * from ${t} where session_id = $1`, [sessionId]);
    let row = found.rows[0];
    if (row === undefined) {
      await pool.query(
        `insert into ${t} (session_id, workflow_id, session_state, extra_data, workflow_data,
         version, run_count, lease_owner, lease_run_id, lease_expires_at, created_at, updated_at)
         values ($1, 'counter', '{}', '{}', '{}', 0, 1, $2, $3, $4, $5, $5)
         on conflict (session_id) do nothing`,
        [sessionId, owner, runId, now + 15_000, now],
      );
      row = { session_state: {}, version: "0", run_count: "0" };
    } else {
      const claimed = await pool.query(
        `update ${t} set lease_owner = $1, lease_run_id = $2, lease_expires_at = $3, run_count = $4
         where session_id = $5 and run_count = $6 and lease_owner is null`,
        [owner, runId, now + 15_000, Number(row.run_count) + 1, sessionId, row.run_count],
      );
      if (claimed.rowCount !== 1) throw new Error("baseline: session busy");
    }
    const history = await pool.query(
      `select * from ${runs} where session_id = $1 and status = 'completed'
       and parent_run_id is null order by seq desc limit $2`,
      [sessionId, 10],
    );
    await pool.query(
      `insert into ${runs} (run_id, session_id, parent_run_id, workflow_id, seq, position, status,
       content_type, input, content, metrics, messages, extra_data, error, created_at, updated_at)
       values ($1, $2, null, 'counter', $3, 0, 'running', 'str', $4, 'null', '{}', '[]', '{}',
       null, $5, $5)`,
      [runId, sessionId, Number(row.run_count) + 1, JSON.stringify({ i }), now],
    );
    const state = row.session_state;
    const ctx = {
      sessionState: state,
      history: history.rows.reverse(),
    } as unknown as WorkflowContext;
    const response = await counter(ctx);
    const client = await pool.connect();
    try {
      await client.query("begin");
      const version = Number(row.version);
      const saved = await client.query(
        `update ${t} set session_state = $1, version = $2, lease_owner = null, lease_run_id = null,
         lease_expires_at = null, updated_at = $3
         where session_id = $4 and version = $5 and lease_owner = $6`,
        [JSON.stringify(state), version + 1, Date.now(), sessionId, version, owner],
      );
      if (saved.rowCount !== 1) throw new Error("baseline: conflict");
      await client.query(
        `update ${runs} set status = 'completed', content_type = 'str', content = $1, metrics = $2,
         messages = '[]', extra_data = '{}', error = null, updated_at = $3 where run_id = $4`,
        [JSON.stringify(response.content), JSON.stringify({ durationMs: 0.01 }), now, runId],
      );
      await client.query("commit");
    } catch (error) {
      await client.query("rollback");
      throw error;
    } finally {
      client.release();
    }
  };
}

const storage = postgresStorage({ connectionString: task.url, schema: task.schemas.ours });
const pool = new pg.Pool({ connectionString: task.url });
pool.on("error", () => {});
const steps = {
  ours: (i: number) => run(counter, { i }, { storage, sessionId: task.sessionId, logger: quiet }),
  baseline: baseline(pool, task.schemas.baseline, task.sessionId),
};
let done = 0;
for (const step of Object.values(steps)) for (let i = 0; i < 50; i++) await step(done++);
process.stdout.write("ready\n");
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "exit") break;
  const step = steps[line as keyof typeof steps];
  for (let i = 0; i < task.runs; i++) await step(done++);
  process.stdout.write("done\n");
}
await storage.close();
await pool.end();
