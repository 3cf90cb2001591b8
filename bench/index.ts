/** Runs every benchmark in one process; each prints our figure beside its native baseline. */
import { main as agentOverhead } from "./agent-overhead.js";
import { main as durableSteps } from "./durable-steps.js";
import { main as eventLog } from "./event-log.js";
import { main as postgresSession } from "./postgres-session.js";
import { main as sqliteSession } from "./sqlite-session.js";
import { main as tracing } from "./tracing.js";
import { main as workflowStream } from "./workflow-stream.js";

const benches: [string, () => Promise<void>][] = [
  ["workflow-stream", workflowStream],
  ["sqlite-session", sqliteSession],
  ["postgres-session", postgresSession],
  ["durable-steps", durableSteps],
  ["event-log", eventLog],
  ["agent-overhead", agentOverhead],
  ["tracing", tracing],
];
const only = process.argv[2];
for (const [name, bench] of benches) {
  if (only === undefined || name === only) await bench();
}
