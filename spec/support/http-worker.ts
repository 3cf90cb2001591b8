/**
 * A worker process for the HTTP specs. `serve`: serves the handler on 127.0.0.1 (port 0) over
 * the given store and prints `port <n>`; `recover`: continues interrupted runs and exits.
 */
import { createServer } from "node:http";
import { recoverRuns } from "buddy-ai";
import { createHandler, toNodeListener } from "buddy-ai/http";
import { httpWorkflows } from "./http-workflows.js";
import { openStoreConnection, type StoreConnection } from "./stores.js";

const task = JSON.parse(process.argv[2] ?? "{}") as {
  connection: StoreConnection;
  role: "serve" | "recover";
  leaseMs: number;
};
const storage = openStoreConnection(task.connection, { leaseMs: task.leaseMs });
const logger = { warn: () => {}, debug: () => {} };
if (task.role === "recover") {
  await recoverRuns({ storage, workflows: httpWorkflows, logger });
  process.stdout.write("recovered\n");
  await storage.close();
} else {
  const handler = createHandler({
    storage,
    workflows: httpWorkflows,
    authorize: () => true,
    pollMs: 20,
    logger,
  });
  const server = createServer(toNodeListener(handler));
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    if (typeof address === "object" && address !== null) {
      process.stdout.write(`port ${address.port}\n`);
    }
  });
}
