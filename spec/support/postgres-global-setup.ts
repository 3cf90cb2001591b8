/**
 * Vitest global setup: one PostgreSQL server for every spec (the conformance suite's Postgres
 * store and the other Postgres specs). A throwaway cluster when PostgreSQL is installed, PGlite
 * over its socket otherwise (see `startTestPostgres`); `BUDDY_PG_URL` points the specs at a
 * running server instead. Specs read the URL with `inject("postgresUrl")`.
 */
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startTestPostgres, type TestPostgres } from "./postgres-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the specs' PostgreSQL server. */
    postgresUrl: string;
    /** Which server that is, e.g. "PostgreSQL 15.18 … (throwaway cluster on 127.0.0.1:5433)". */
    postgresLabel: string;
    /**
     * `"pglite"` when the connections share PGlite's one session (so advisory locks and `SET`
     * do not separate them); `"postgresql"` for a real server.
     */
    postgresKind: "postgresql" | "pglite";
  }
}

/** The server's own description of itself (`select version()`). */
async function versionOf(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: string }>("select version()");
    return rows[0]?.version ?? "unknown version";
  } finally {
    await client.end();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.BUDDY_PG_URL;
  let server: TestPostgres | undefined;
  let url: string;
  let label: string;
  let kind: "postgresql" | "pglite" = "postgresql";
  if (external !== undefined && external !== "") {
    url = external;
    label = `${await versionOf(url)} (BUDDY_PG_URL)`;
  } else {
    server = await startTestPostgres();
    url = server.url;
    label = server.label;
    kind = server.kind;
  }
  console.log(`[postgres] ${label}`);
  project.provide("postgresUrl", url);
  project.provide("postgresLabel", label);
  project.provide("postgresKind", kind);
  return async () => {
    await server?.stop();
  };
}
