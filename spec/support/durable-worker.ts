/**
 * A worker process for the durable-run specs: runs one durable workflow (by name) on a shared
 * store with its input, which makes it kill itself inside one of its steps.
 */
import { recoverRuns, resume, run } from "buddy-ai";
import { scriptedModel } from "buddy-ai/testing";
import { agentModel, type DurableInput, durableWorkflows } from "./durable-workflows.js";
import { openStoreConnection, type StoreConnection } from "./stores.js";

const task = JSON.parse(process.argv[2] ?? "{}") as {
  connection: StoreConnection;
  workflow: string;
  sessionId: string;
  runId: string;
  input: DurableInput;
  leaseMs: number;
  /** Continue interrupted runs (recoverRuns) instead of starting one. */
  recover?: boolean;
  /** Resume run `runId` with these answers instead of starting one. */
  answers?: Record<string, unknown>;
};
// The agent's first turn calls its tool (inside which this process may be killed).
agentModel.current = scriptedModel([
  { toolCalls: [{ name: "lookup", args: { id: "7" } }] },
  "Order 7 has shipped.",
]);
const workflow = durableWorkflows.find((w) => w.name === task.workflow);
if (workflow === undefined) throw new Error(`no workflow ${task.workflow}`);
const storage = openStoreConnection(task.connection, { leaseMs: task.leaseMs });
try {
  if (task.recover === true) await recoverRuns({ storage, workflows: durableWorkflows });
  else if (task.answers !== undefined) {
    for await (const _ of resume(workflow, task.runId, task.answers, { storage })) {
      // the events are not needed here
    }
  } else
    await run(workflow, task.input, {
      storage,
      sessionId: task.sessionId,
      runId: task.runId,
      logger: { warn: () => {}, debug: () => {} },
    });
  process.stdout.write("completed\n");
} catch (error) {
  process.stdout.write(`failed ${error instanceof Error ? error.name : String(error)}\n`);
}
await storage.close();
