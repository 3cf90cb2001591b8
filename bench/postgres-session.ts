/**
 * A three-step persisted run on PostgreSQL: `run(counter, input, { storage, sessionId })` with
 * `postgresStorage`, beside the minimal hand-written `pg` program doing what the contract
 * requires in six round trips (bench/postgres-session-worker.ts), against a throwaway server on
 * 127.0.0.1 (a PostgreSQL cluster when PostgreSQL is installed, PGlite otherwise). The runs
 * happen in worker processes, each on a session of its own; rounds of ours and the baseline take
 * turns, every worker starting a round at once after a GC (bench/support/measure.ts). Prints µs
 * per run with one worker, and runs/s with 1 and with 4 workers.
 */
import { postgresStorage } from "buddy-ai/postgres";
import pg from "pg";
import { startTestPostgres } from "../spec/support/postgres-server.js";
import { convert, type Figure, interleave, report } from "./support/measure.js";
import { startWorker } from "./support/worker-process.js";

/** Schemas of the two sides' tables: the store's own, and the baseline's minimal ones. */
const schemas = { ours: "bench_ours", baseline: "bench_baseline" } as const;

/** µs per run (per worker) of `workers` processes, `count` rounds of `runs` runs each. */
async function rounds(url: string, workers: number, runs: number, count: number) {
  const pool = Array.from({ length: workers }, (_, i) =>
    startWorker("postgres-session-worker.ts", {
      url,
      schemas,
      sessionId: `w${workers}-${i}`,
      runs,
    }),
  );
  await Promise.all(pool.map((w) => w.send(undefined, "ready")));
  const all = (command: string, reply: string) =>
    Promise.all(pool.map((w) => w.send(command, reply)));
  const side = (mode: string) => ({
    prepare: () => all("prepare", "prepared"),
    step: () => all(mode, "done"),
  });
  const figures = await interleave([side("ours"), side("baseline")], {
    rounds: count,
    runs: 1,
    scale: 1 / runs,
  });
  await Promise.all(pool.map((w) => w.stop()));
  await checkSaved(url, pool.length, `w${workers}-`);
  return figures;
}

/** Throws unless both sides saved as many runs in each worker's session. */
async function checkSaved(url: string, workers: number, prefix: string): Promise<void> {
  const storage = postgresStorage({ connectionString: url, schema: schemas.ours });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  for (let i = 0; i < workers; i++) {
    const ours = (await storage.readSession(`${prefix}${i}`))?.sessionState.count;
    const { rows } = await client.query<{ state: string }>(
      `select state from "${schemas.baseline}".sessions where id = $1`,
      [`${prefix}${i}`],
    );
    const baseline = (JSON.parse(rows[0]?.state ?? "{}") as Record<string, unknown>).count;
    if (ours !== baseline) throw new Error(`the two sides saved ${ours} and ${baseline} runs`);
  }
  await Promise.all([storage.close(), client.end()]);
}

/** Creates the baseline's minimal tables. */
async function createBaselineTables(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const s = `"${schemas.baseline}"`;
  await client.query(`create schema ${s};
    create table ${s}.sessions (id text primary key, state text not null,
      version integer not null, lease_owner text, lease_expires_at bigint);
    create table ${s}.runs (run_id text primary key, session_id text not null,
      seq integer not null, status text not null, input text not null, content text not null,
      created_at bigint not null, unique (session_id, seq));`);
  await client.end();
}

/** Prints µs/run (1 worker) and runs/s (1 and 4 workers) of ours vs the `pg` baseline. */
export async function main(): Promise<void> {
  console.log("\n# postgres session (median [fastest–slowest] of the rounds)");
  const server = await startTestPostgres();
  try {
    console.log(`postgres server: ${server.label}`);
    const storage = postgresStorage({ connectionString: server.url, schema: schemas.ours });
    await storage.readSession("create the tables");
    await storage.close();
    await createBaselineTables(server.url);

    const [one, oneBase] = await rounds(server.url, 1, 200, 15);
    report("postgres persisted run, 1 worker process", one, oneBase, "µs/run", 1.3);
    const rate = (workers: number, figure: Figure) => convert(figure, (us) => (workers * 1e6) / us);
    console.log("throughput (ratio: ours over the baseline's, higher is faster):");
    report("  1 worker process", rate(1, one), rate(1, oneBase), "runs/s");
    const [four, fourBase] = await rounds(server.url, 4, 100, 9);
    report("  4 worker processes", rate(4, four), rate(4, fourBase), "runs/s");
  } finally {
    await server.stop();
  }
}
