/**
 * One worker process of `bench/postgres-session.ts`, on a session of its own. It opens a
 * postgres store (`schemas.ours`) and the minimal hand-written `pg` baseline (`schemas.baseline`,
 * tables created by the parent), warms both up and prints `ready`. Then per stdin line:
 * `prepare` runs a full GC and prints `prepared`; `ours` or `baseline` runs `runs` persisted runs
 * that way and prints `done`; `exit` exits.
 *
 *   node --expose-gc --import tsx bench/postgres-session-worker.ts '{"url":…,"schemas":…,"sessionId":…,"runs":…}'
 */
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { run } from "buddy-ai";
import { postgresStorage } from "buddy-ai/postgres";
import pg from "pg";
import { collectGarbage } from "./support/measure.js";
import { counter, type Input, quiet, type State, threeSteps } from "./support/workload.js";

interface Task {
  readonly url: string;
  readonly schemas: { readonly ours: string; readonly baseline: string };
  readonly sessionId: string;
  readonly runs: number;
}

const LEASE_MS = 30_000;

/**
 * The baseline run, six round trips on one pooled connection: claim the lease and read the state
 * in one upsert; read the last 10 runs' content; the three steps; BEGIN, save the state (version
 * checked, lease cleared), insert the run row, COMMIT. Named (server-prepared) statements.
 */
function baseline(pool: pg.Pool, schema: string) {
  const q = (name: string, text: string) => ({ name: `${schema}-${name}`, text });
  const claim = q(
    "claim",
    `insert into "${schema}".sessions as s (id, state, version, lease_owner, lease_expires_at)
     values ($1, '{}', 0, $2, $3) on conflict (id) do update
     set lease_owner = excluded.lease_owner, lease_expires_at = excluded.lease_expires_at
     where s.lease_owner is null or s.lease_expires_at < $4 returning state, version`,
  );
  const history = q(
    "history",
    `select content from "${schema}".runs where session_id = $1 order by seq desc limit 10`,
  );
  const save = q(
    "save",
    `update "${schema}".sessions set state = $1, version = version + 1, lease_owner = null,
     lease_expires_at = null where id = $2 and version = $3 and lease_owner = $4`,
  );
  const insertRun = q(
    "insert-run",
    `insert into "${schema}".runs values ($1, $2, $3, 'completed', $4, $5, $6)`,
  );
  return async (sessionId: string, input: Input): Promise<void> => {
    const owner = randomUUID(); // the run's id, and the lease's owner
    const client = await pool.connect();
    try {
      const now = Date.now();
      const claimed = await client.query<{ state: string; version: number }>({
        ...claim,
        values: [sessionId, owner, now + LEASE_MS, now],
      });
      const row = claimed.rows[0];
      if (row === undefined) throw new Error("baseline: session busy");
      const state = JSON.parse(row.state) as State;
      const past = await client.query<{ content: string }>({ ...history, values: [sessionId] });
      let content = "";
      for await (const text of threeSteps(state, past.rows.reverse(), input)) content += text;
      await client.query("begin");
      try {
        const values = [JSON.stringify(state), sessionId, row.version, owner];
        const saved = await client.query({ ...save, values });
        if (saved.rowCount !== 1) throw new Error("baseline: session changed under the lease");
        const runRow = [owner, sessionId, row.version + 1, JSON.stringify(input), content, now];
        await client.query({ ...insertRun, values: runRow });
        await client.query("commit");
      } catch (error) {
        await client.query("rollback");
        throw error;
      }
    } finally {
      client.release();
    }
  };
}

const task = JSON.parse(process.argv[2] ?? "{}") as Task;
const storage = postgresStorage({ connectionString: task.url, schema: task.schemas.ours });
const pool = new pg.Pool({ connectionString: task.url });
pool.on("error", () => {});
const baselineRun = baseline(pool, task.schemas.baseline);
const steps = {
  ours: (i: number) => run(counter, { i }, { storage, sessionId: task.sessionId, logger: quiet }),
  baseline: (i: number) => baselineRun(task.sessionId, { i }),
};
let done = 0;
for (const step of Object.values(steps)) for (let i = 0; i < 50; i++) await step(done++);
process.stdout.write("ready\n");
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "exit") break;
  if (line === "prepare") {
    collectGarbage();
    process.stdout.write("prepared\n");
    continue;
  }
  const step = steps[line as keyof typeof steps];
  for (let i = 0; i < task.runs; i++) await step(done++);
  process.stdout.write("done\n");
}
await storage.close();
await pool.end();
