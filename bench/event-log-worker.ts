/**
 * One side of `bench/event-log.ts` (a) in a process of its own: a persisted SQLite run of
 * `deltas` text deltas, with the event log (`side: "logged"`) or without (`"plain"`), on its own
 * database file. It warms up and prints `ready`; then each stdin line `round` runs `runs` runs,
 * reading each stream to its end, and prints `done`; `exit` closes the store and exits.
 *
 *   node --import tsx bench/event-log-worker.ts '{"side":"logged","file":…,"deltas":…,"runs":…}'
 */
import { createInterface } from "node:readline";
import { defineWorkflow, execute } from "buddy-ai";
import { sqliteStorage } from "buddy-ai/sqlite";
import { quiet } from "./support/workload.js";

interface Task {
  readonly side: "logged" | "plain";
  readonly file: string;
  readonly deltas: number;
  readonly runs: number;
}

const tokens = defineWorkflow(async function* tokens(_ctx, count: number) {
  for (let i = 0; i < count; i++) yield "tok ";
});

const task = JSON.parse(process.argv[2] ?? "{}") as Task;
const storage = sqliteStorage({ dbFile: task.file });
const options = { storage, logger: quiet, eventLog: task.side === "logged" };

async function once(): Promise<void> {
  let events = 0;
  for await (const _ of execute(tokens, task.deltas, options)) events++;
  // WorkflowStarted, the deltas, WorkflowCompleted.
  if (events !== task.deltas + 2) throw new Error(`a run streamed ${events} events`);
}

for (let n = 0; n < 20; n++) await once();
process.stdout.write("ready\n");
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "exit") break;
  for (let n = 0; n < task.runs; n++) await once();
  process.stdout.write("done\n");
}
await storage.close();
