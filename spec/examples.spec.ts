import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "buddy-examples-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs an example as a user would (tsx), offline: no API key, so the scripted model answers. */
async function example(file: string, ...args: string[]): Promise<string> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BUDDY_DB_FILE: join(dir, "buddy.db"),
    BUDDY_CHUNK_DELAY_MS: "0",
  };
  delete env.OPENAI_API_KEY;
  delete env.OPENAI_BASE_URL;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", join("examples", file), ...args],
    {
      cwd: root,
      env,
    },
  );
  return stdout;
}

describe("examples run offline with the scripted model", () => {
  it("article.ts (npm start) streams the writer's tokens and resumes its session on the next run", async () => {
    const first = await example("article.ts", "tides");
    expect(first).toContain("using a scripted model");
    expect(first).toMatch(/new session "article-demo" — writing about tides/);
    expect(first).toMatch(/Key facts on tides/);
    expect(first).toMatch(/completed, 147 tokens/);
    const second = await example("article.ts", "comets");
    expect(second).toMatch(
      /resuming session "article-demo" \(1 earlier: tides\) — writing about comets/,
    );
    expect(second).toMatch(/2 run\(s\), state \{"articles":2,"topics":\["tides","comets"\]\}/);
  });

  it("streaming.ts ends with its own WorkflowCompleted, content not doubled", async () => {
    const out = await example("streaming.ts");
    expect(out).toContain("RunResponseContent: A short piece: Write about fusion energy.");
    expect(out).toContain("WorkflowCompleted: A short piece: Write about fusion energy.\n");
  });

  it("async.ts returns one RunResponse with the agent's usage", async () => {
    const out = await example("async.ts");
    expect(out).toContain("Batteries store chemistry");
    expect(out).toContain("status: completed, tokens: 19");
  });

  it("resume.ts carries state and history from run to run", async () => {
    const out = await example("resume.ts", "resume-spec");
    expect(out).toContain("Hello Ada, visit #1\n");
    expect(out).toContain("Hello Grace, visit #2 (earlier: Hello Ada, visit #1)");
    expect(out).toContain(
      "Hello Alan, visit #3 (earlier: Hello Ada, visit #1 | Hello Grace, visit #2",
    );
    expect(out).toContain('session resume-spec: state {"visits":3}');
  });
});
