import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { defineWorkflow, run } from "buddy-ai";
import { sqliteStorage } from "buddy-ai/sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const cli = join(import.meta.dirname, "../../dist/cli.js");

/** Starts `buddy-ai inspect …` and resolves the URL it prints. */
async function inspect(...args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [cli, "inspect", ...args], { stdio: "pipe" });
  let out = "";
  let err = "";
  child.stderr.on("data", (chunk) => {
    err += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const found = /^Inspecting .+ at (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(out);
      if (found?.[1] !== undefined) resolve(found[1]);
    });
    child.on("exit", (code) => reject(new Error(`exited ${code}: ${out}${err}`)));
  });
  return { child, url };
}

describe("buddy-ai inspect (the built CLI)", () => {
  let dir: string;
  let dbFile: string;
  let runId: string;

  beforeAll(async () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
    dir = await mkdtemp(join(tmpdir(), "buddy-cli-"));
    dbFile = join(dir, "app.db");
    const storage = sqliteStorage({ dbFile });
    const approve = defineWorkflow(async function approve(ctx) {
      await ctx.waitFor("approval");
      return "approved";
    });
    const first = await run(approve, undefined, { storage, sessionId: "cli-session" });
    expect(first.status).toBe("suspended");
    runId = first.runId;
    await storage.close();
  });
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("serves the inspector and the read routes on 127.0.0.1, and refuses writes", async () => {
    const { child, url } = await inspect(dbFile, "--port", "0");
    try {
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      expect(await page.text()).toContain("<title>buddy-ai inspector</title>");
      const sessions = (await (await fetch(`${url}sessions`)).json()) as { sessionId: string }[];
      expect(sessions.map((s) => s.sessionId)).toEqual(["cli-session"]);
      const resumed = await fetch(`${url}runs/${runId}/resume`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ payloads: { approval: true } }),
      });
      expect(resumed.status).toBe(403);
      expect(await resumed.json()).toEqual({ error: expect.any(String) });
      const cancelled = await fetch(`${url}runs/${runId}/cancel`, { method: "POST" });
      expect(cancelled.status).toBe(403);
    } finally {
      child.kill("SIGTERM");
    }
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
  });

  it("refuses a SQLite file that does not exist, and creates none", async () => {
    const missing = join(dir, "missing.db");
    const failed = await promisify(execFile)(process.execPath, [cli, "inspect", missing]).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain(`no SQLite file at ${missing}`);
    expect(existsSync(missing)).toBe(false);
  });

  it("names a file that is not a database", async () => {
    const notes = join(dir, "notes.txt");
    await writeFile(
      notes,
      "not a database, just text that is long enough to have a header".repeat(20),
    );
    const failed = await promisify(execFile)(process.execPath, [cli, "inspect", notes]).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain(`cannot read the store ${notes}`);
  });
});
