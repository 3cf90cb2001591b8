/**
 * One side of `bench/event-log.ts` (a) in a process of its own: a persisted SQLite run of
 * `deltas` text deltas, with the event log (`side: "logged"`) or without (`"plain"`), on its own
 * database file; the deltas are yielded by the workflow (`source: "workflow"`) or streamed by an
 * agent from a model in memory (`"agent"`, `yield* agent.stream(prompt, ctx)`). It warms up and
 * prints `ready`; then each stdin line `round` runs `runs` runs, reading each stream to its end,
 * and prints `done`; `exit` closes the store and exits.
 *
 *   node --import tsx bench/event-log-worker.ts '{"side":"logged","source":"agent","file":…,"deltas":…,"runs":…}'
 */
import { createInterface } from "node:readline";
import { agent, defineWorkflow, execute, type Model, type ModelChunk } from "buddy-ai";
import { sqliteStorage } from "buddy-ai/sqlite";
import { quiet } from "./support/workload.js";

interface Task {
  readonly side: "logged" | "plain";
  readonly source: "workflow" | "agent";
  readonly file: string;
  readonly deltas: number;
  readonly runs: number;
}

const task = JSON.parse(process.argv[2] ?? "{}") as Task;

const tokens = defineWorkflow(async function* tokens(_ctx, count: number) {
  for (let i = 0; i < count; i++) yield "tok ";
});

/** A model answering with `count` deltas from memory. */
const memory: Model = {
  id: "memory",
  async *stream(): AsyncGenerator<ModelChunk> {
    for (let i = 0; i < task.deltas; i++) yield { type: "text-delta", text: "tok " };
    yield { type: "finish", reason: "stop" };
  },
};
const writer = agent({ name: "writer", model: memory });
const streaming = defineWorkflow(async function* streaming(ctx, _count: number) {
  yield* writer.stream("Write", ctx);
});
const workflow = task.source === "agent" ? streaming : tokens;
const storage = sqliteStorage({ dbFile: task.file });
const options = { storage, logger: quiet, eventLog: task.side === "logged" };

async function once(): Promise<void> {
  let events = 0;
  for await (const _ of execute(workflow, task.deltas, options)) events++;
  // WorkflowStarted, the deltas, WorkflowCompleted (and the agent's RunStarted, RunCompleted).
  const expected = task.deltas + (task.source === "agent" ? 4 : 2);
  if (events !== expected) throw new Error(`a run streamed ${events} events`);
}

// Warm: the code a logged run takes is optimized after some tens of runs.
for (let n = 0; n < 100; n++) await once();
process.stdout.write("ready\n");
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "exit") break;
  for (let n = 0; n < task.runs; n++) await once();
  process.stdout.write("done\n");
}
await storage.close();
