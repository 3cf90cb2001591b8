/**
 * Persisted runs per second on PostgreSQL: the counter workflow through `run()` and
 * `postgresStorage`, beside a hand-written `pg` baseline making the same statements in the same
 * transaction shape (`bench/postgres-session-worker.ts`), with 1 and with 4 worker processes,
 * each on a session of its own. The state changes on every run. Against a throwaway server on
 * 127.0.0.1 (a PostgreSQL cluster when PostgreSQL is installed, PGlite otherwise): rounds of
 * ours and the baseline take turns, every worker starting a round at once; the median round of
 * each. The ratio is our throughput over the baseline's (1.00× = as fast).
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { join } from "node:path";
import { postgresStorage } from "buddy-ai/postgres";
import { startTestPostgres } from "../spec/support/postgres-server.js";
import { report } from "./support/measure.js";

const ROUNDS = 5;
/** Schemas of the two sides' tables (the same tables, created by the store). */
const schemas = { ours: "bench_ours", baseline: "bench_baseline" } as const;
const root = join(import.meta.dirname, "..");

interface Worker {
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves at the next line `text` the worker prints. */
  next(text: string): Promise<void>;
}

function startWorker(url: string, sessionId: string, runs: number): Worker {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(root, "bench", "postgres-session-worker.ts"),
      JSON.stringify({ url, schemas, sessionId, runs }),
    ],
    // The workers import the built package, as this process does.
    { cwd: root, env: { ...process.env, TSX_TSCONFIG_PATH: join(root, "tsconfig.bench.json") } },
  );
  const waiting: { text: string; resolve: () => void }[] = [];
  let log = "";
  let pending = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    log += chunk;
  });
  child.stdout.on("data", (chunk: string) => {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      const at = waiting.findIndex((w) => w.text === line);
      if (at >= 0) waiting.splice(at, 1)[0]?.resolve();
    }
  });
  child.once("exit", (code) => {
    if (code !== 0) console.error(`bench worker exited with ${code}:\n${log}`);
  });
  return {
    child,
    next: (text) => new Promise((resolve) => waiting.push({ text, resolve })),
  };
}

/** Runs/s of `workers` processes, ours and the baseline: the median of ROUNDS rounds each. */
async function measure(url: string, workers: number, runs: number): Promise<[number, number]> {
  const pool = Array.from({ length: workers }, (_, i) =>
    startWorker(url, `w${workers}-${i}`, runs),
  );
  await Promise.all(pool.map((w) => w.next("ready")));
  const rates: Record<"ours" | "baseline", number[]> = { ours: [], baseline: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of ["ours", "baseline"] as const) {
      const finished = Promise.all(pool.map((w) => w.next("done")));
      const start = performance.now();
      for (const w of pool) w.child.stdin.write(`${mode}\n`);
      await finished;
      rates[mode].push((workers * runs * 1000) / (performance.now() - start));
    }
  }
  for (const w of pool) w.child.stdin.end("exit\n");
  await Promise.all(pool.map((w) => new Promise((resolve) => w.child.once("exit", resolve))));
  const median = (values: number[]) =>
    values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
  return [median(rates.ours), median(rates.baseline)];
}

/** Prints persisted runs/s through `run()` + the postgres store vs the `pg` baseline. */
export async function main(): Promise<void> {
  const server = await startTestPostgres();
  try {
    console.log(`postgres server: ${server.label}`);
    for (const schema of Object.values(schemas)) {
      const storage = postgresStorage({ connectionString: server.url, schema });
      await storage.readSession("create the tables");
      await storage.close();
    }
    const [one, oneBase] = await measure(server.url, 1, 400);
    report("postgres persisted runs, 1 worker process", one, oneBase, "runs/s");
    const [four, fourBase] = await measure(server.url, 4, 200);
    report("postgres persisted runs, 4 worker processes", four, fourBase, "runs/s");
    report("  4 workers over 1 (ours)", four, one, "runs/s");
    report("  4 workers over 1 (baseline)", fourBase, oneBase, "runs/s");
  } finally {
    await server.stop();
  }
}
