import { execFile, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { PgliteQueryQueue } from "./pglite-query-queue.js";

/** A PostgreSQL server the specs can reach through `pg` at `url`. */
export interface TestPostgres {
  readonly url: string;
  /** Which server this is, for the test log. */
  readonly label: string;
  readonly kind: "postgresql" | "pglite";
  /** Stops the server and starts it again on the same port and data (drops every connection). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const run = promisify(execFile);

/** The newest installed PostgreSQL's bin directory (Debian layout), if any. */
export function postgresBinDir(): string | undefined {
  if (process.env.BUDDY_PG === "pglite") return undefined;
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(base, versions[0], "bin");
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

/**
 * Starts a throwaway server on 127.0.0.1: a real PostgreSQL cluster (initdb in a temp dir) when
 * PostgreSQL is installed, otherwise PGlite served over `@electric-sql/pglite-socket`.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (bin === undefined && process.env.BUDDY_PG === "postgresql") {
    throw new Error("BUDDY_PG=postgresql but no PostgreSQL server binaries are installed");
  }
  return bin === undefined ? startPglite() : startCluster(bin);
}

async function startCluster(bin: string): Promise<TestPostgres> {
  const dir = await mkdtemp(join(tmpdir(), "buddy-pg-"));
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: gid } = await run("id", ["-g", "postgres"]);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const pg = (tool: string, args: string[]) =>
    asRoot
      ? run("runuser", ["-u", "postgres", "--", join(bin, tool), ...args])
      : run(join(bin, tool), args);
  await pg("initdb", ["-D", join(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync"]);
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=200`;
  const start = () =>
    pg("pg_ctl", ["-D", join(dir, "data"), "-o", options, "-l", join(dir, "log"), "-w", "start"]);
  const stop = () => pg("pg_ctl", ["-D", join(dir, "data"), "-m", "immediate", "-w", "stop"]);
  await start();
  const { stdout: version } = await pg("postgres", ["--version"]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    label: `${version.trim()} (throwaway cluster on 127.0.0.1:${port})`,
    kind: "postgresql",
    restart: async () => {
      await stop();
      await start();
    },
    stop: async () => {
      await stop().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function startPglite(): Promise<TestPostgres> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const db = await PGlite.create();
  const port = await freePort();
  // The package's queue interleaves the statements of concurrent connections: use ours.
  const serve = () => {
    const socketServer = new PGLiteSocketServer({
      db,
      port,
      host: "127.0.0.1",
      maxConnections: 200,
    });
    Object.assign(socketServer, { queryQueue: new PgliteQueryQueue(db) });
    return socketServer;
  };
  let server = serve();
  await server.start();
  const { rows } = await db.query<{ version: string }>("select version()");
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    label: `PGlite over @electric-sql/pglite-socket on 127.0.0.1:${port} — ${rows[0]?.version ?? "?"} (PostgreSQL is not installed here)`,
    kind: "pglite",
    restart: async () => {
      await server.stop();
      server = serve();
      await server.start();
    },
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}

/** Runs a file as a child process with tsx (which resolves `buddy-ai` imports to lib/). */
export function spawnTsx(file: string, args: string[], env: Record<string, string> = {}) {
  return spawn(process.execPath, ["--import", "tsx", file, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}
