/** Runs every benchmark in one process; each prints our figure beside its native baseline. */
import { main as workflowStream } from "./workflow-stream.js";

const benches: [string, () => Promise<void>][] = [["workflow-stream", workflowStream]];
const only = process.argv[2];
for (const [name, bench] of benches) {
  if (only === undefined || name === only) await bench();
}
