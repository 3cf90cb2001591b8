#!/usr/bin/env node
/**
 * The `buddy-ai` command. `buddy-ai inspect <sqlite file | postgres url>` serves the inspector
 * page of `buddy-ai/http` over the store, read-only (resume and cancel answer 403), on
 * 127.0.0.1 unless told otherwise.
 */
import { statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Command, InvalidArgumentError } from "commander";
import { createHandler } from "./http/handler.js";
import { toNodeListener } from "./http/node-listener.js";
import type { WorkflowStorage } from "./session/workflow-storage.js";

interface InspectOptions {
  port: number;
  host: string;
  table?: string;
  schema?: string;
}

const program = new Command("buddy-ai").description("Tools for buddy-ai workflows");

program
  .command("inspect")
  .description("Serve the inspector (read-only) over a session store")
  .argument("<store>", "a SQLite file, or a postgres:// or postgresql:// URL")
  .option("-p, --port <n>", "port to listen on (0 picks a free one)", parsePort, 4317)
  .option("-H, --host <host>", "address to listen on", "127.0.0.1")
  .option("--table <name>", "the store's table name, if not the default")
  .option("--schema <name>", "the PostgreSQL schema of the store's tables (default public)")
  .action(inspect);

await program.parseAsync();

async function inspect(target: string, options: InspectOptions): Promise<void> {
  const storage = await openStore(target, options);
  try {
    await storage.listSessions({ limit: 1 });
  } catch (error) {
    await storage.close().catch(() => {});
    program.error(`error: cannot read the store ${shown(target)}: ${messageOf(error)}`);
  }
  const server = createServer(toNodeListener(createHandler({ storage, workflows: [] })));
  server.on("error", (error) => {
    void storage.close().catch(() => {});
    program.error(`error: cannot listen on ${options.host}:${options.port}: ${error.message}`);
  });
  server.listen(options.port, options.host, () => {
    const { port } = server.address() as AddressInfo;
    const host = options.host.includes(":") ? `[${options.host}]` : options.host;
    console.log(`Inspecting ${shown(target)} at http://${host}:${port}/`);
  });
  const stop = () => {
    server.close();
    server.closeAllConnections();
    storage.close().finally(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

async function openStore(target: string, options: InspectOptions): Promise<WorkflowStorage> {
  if (/^postgres(ql)?:\/\//i.test(target)) {
    const { postgresStorage } = await import("./postgres.js");
    return postgresStorage({
      connectionString: target,
      schema: options.schema,
      tableName: options.table,
    });
  }
  // Opening a missing file would create an empty database: refuse instead.
  if (statSync(target, { throwIfNoEntry: false })?.isFile() !== true) {
    program.error(`error: no SQLite file at ${target}`);
  }
  const { sqliteStorage } = await import("./sqlite.js");
  return sqliteStorage({ dbFile: target, tableName: options.table });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) {
    throw new InvalidArgumentError("Expected a whole number from 0 to 65535.");
  }
  return port;
}

/** The store as printed: a URL's password hidden. */
function shown(target: string): string {
  if (!/^postgres(ql)?:\/\//i.test(target)) return target;
  try {
    const url = new URL(target);
    if (url.password !== "") url.password = "***";
    return url.toString();
  } catch {
    return "the PostgreSQL URL";
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
