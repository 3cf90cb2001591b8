/**
 * A three-step persisted run on SQLite, µs per run: `run(counter, input, { storage, sessionId })`
 * with `sqliteStorage` (history of 10 loaded, state changed every run), beside the minimal
 * hand-written better-sqlite3 program doing what the contract requires (see
 * bench/sqlite-session-worker.ts), beside that program also recording its run as `running`
 * when it starts, as durable runs need, and beside that one writing the store's own rows (its
 * tables and indexes, a run's row with the columns a `RunResponse` needs, the session's `updated_at`): what any program
 * keeping those rows pays, before any runtime. Each side runs in a process of its own (no shared heap, so
 * neither pays for the other's garbage) on its own database file; rounds of the two take turns.
 * Also: runs #10,091–#11,590 of one session against runs #11–#110 of fresh sessions (ours
 * against ours, in this process, interleaved rounds with a GC before each).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { run } from "buddy-ai";
import { sqliteStorage } from "buddy-ai/sqlite";
import { interleave, report } from "./support/measure.js";
import { startWorker } from "./support/worker-process.js";
import { counter, quiet } from "./support/workload.js";

const RUNS = 300;

/** µs/run of ours and of the three hand-written programs, each in its own process. */
async function processes(dir: string) {
  const files = {
    ours: join(dir, "ours.db"),
    baseline: join(dir, "baseline.db"),
    recorded: join(dir, "recorded.db"),
    storeRows: join(dir, "store-rows.db"),
  };
  const start = (side: keyof typeof files) =>
    startWorker("sqlite-session-worker.ts", {
      side,
      file: files[side],
      sessionId: "bench",
      runs: RUNS,
    });
  const workers = [
    start("ours"),
    start("baseline"),
    start("recorded"),
    start("storeRows"),
  ] as const;
  await Promise.all(workers.map((w) => w.send(undefined, "ready")));
  const [o, b, r, s] = workers;
  const figures = await interleave(
    [
      { step: () => o.send("round", "done") },
      { step: () => b.send("round", "done") },
      { step: () => r.send("round", "done") },
      { step: () => s.send("round", "done") },
    ],
    { rounds: 15, runs: 1, scale: 1 / RUNS },
  );
  await Promise.all(workers.map((w) => w.stop()));
  // Every side saved every run: the same counter in each session's state (the store reads the
  // rows the store-rows program wrote as its own).
  const count = async (file: string) => {
    const storage = sqliteStorage({ dbFile: file });
    const state = (await storage.readSession("bench"))?.sessionState;
    await storage.close();
    return state?.count;
  };
  const ours = await count(files.ours);
  const rows = await count(files.storeRows);
  if (ours !== rows) throw new Error(`two sides saved ${ours} and ${rows} runs`);
  for (const file of [files.baseline, files.recorded]) {
    const db = new Database(file, { readonly: true });
    const row = db.prepare("select state from sessions where id = 'bench'").get() as {
      state: string;
    };
    db.close();
    const saved = (JSON.parse(row.state) as { count?: number }).count;
    if (ours !== saved) throw new Error(`two sides saved ${ours} and ${saved} runs`);
  }
  return figures;
}

function ours(storage: ReturnType<typeof sqliteStorage>, sessionId: string) {
  return (i: number) => run(counter, { i }, { storage, sessionId, logger: quiet });
}

/** Prints µs/run of ours vs the baseline, and of run #10,000 vs run #10 of a session. */
export async function main(): Promise<void> {
  console.log("\n# sqlite session (median [fastest–slowest] of 15 rounds per side)");
  const dir = mkdtempSync(join(tmpdir(), "buddy-bench-"));
  try {
    const [oursUs, baseUs, recordedUs, rowsUs] = await processes(dir);
    report("sqlite persisted run, one process per side", oursUs, baseUs, "µs/run", 1.3);
    // What durable runs add to any program: the run's row written when it starts, then again.
    report(
      "    the same vs the minimal program also recording its running run (as recovery needs)",
      oursUs,
      recordedUs,
      "µs/run",
    );
    report(
      "    the same vs that program writing the store's own rows (tables, indexes, columns)",
      oursUs,
      rowsUs,
      "µs/run",
    );
    // What keeping the store's rows costs any program, before a runtime does anything.
    report("    that program itself vs the minimal program", rowsUs, baseUs, "µs/run");

    // One session brought to run #9,990, its next runs against runs #11–#110 of a new session
    // (seeded with 10 runs, untimed, before each round: history is full on both sides).
    const storage = sqliteStorage({ dbFile: join(dir, "late.db") });
    try {
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
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
