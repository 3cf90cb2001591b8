/**
 * Runs every ```ts block of the README as a reader would: each in its own Node process (through
 * tsx, `buddy-ai` resolving to lib/ as everywhere in the specs), in a fresh working directory, and
 * checks that it succeeds and that the process exits promptly after its last statement — a block
 * that leaves a store, a pool or a timer open fails here, naming what is still active.
 *
 * Nothing leaves the machine: agents talk to the local OpenAI-compatible test server
 * (`OPENAI_BASE_URL`), Postgres blocks to the specs' server (`DATABASE_URL`, in a `spec_*` schema
 * of their own instead of `buddy`).
 *
 * A block that serves until it is stopped (it calls `.listen(`) cannot run to completion: it is
 * marked, in the README, by an HTML comment on the line before it,
 * `<!-- readme-spec: type-check only (…reason…) -->`, and only type-checked (spec/docs.spec.ts).
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type OpenAIServer, type ServerReply, startOpenAIServer } from "./support/openai-server.js";

const root = join(import.meta.dirname, "..");
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const DONE = "<<readme-block-done>>";
/** How long a block's process may take to exit after its last statement. */
const EXIT_WITHIN_MS = 3_000;
const TYPE_CHECK_ONLY = /^<!-- readme-spec: type-check only \((.+)\) -->$/;

interface Block {
  /** 1-based position among the README's ```ts blocks. */
  readonly index: number;
  /** The README line of the opening fence. */
  readonly line: number;
  readonly code: string;
  /** Why it is only type-checked, when it is marked so. */
  readonly typeCheckOnly?: string;
}

/** The README's ```ts blocks, with the marker on the line before each, if any. */
function readmeBlocks(text: string): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== "```ts") continue;
    const end = lines.indexOf("```", i + 1);
    const marker = TYPE_CHECK_ONLY.exec(lines[i - 1] ?? "");
    blocks.push({
      index: blocks.length + 1,
      line: i + 1,
      code: lines.slice(i + 1, end).join("\n"),
      ...(marker ? { typeCheckOnly: marker[1] } : {}),
    });
    i = end;
  }
  return blocks;
}

/** A value matching a JSON schema, for agents that ask for structured output. */
function sample(schema: Record<string, unknown> | undefined): unknown {
  switch (schema?.type) {
    case "object": {
      const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
      return Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, sample(v)]));
    }
    case "array":
      return [sample(schema.items as Record<string, unknown>)];
    case "number":
    case "integer":
      return 1;
    case "boolean":
      return true;
    default:
      return "sample";
  }
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from the block's last statement to the process's exit. */
  exitDelayMs: number | undefined;
}

const readme = readmeBlocks(await readFile(join(root, "README.md"), "utf8"));
const blockDir = join(root, "tmp", "readme-run");
let llm: OpenAIServer;
let workDir: string;
const schema = `spec_readme_${process.pid}`;

beforeAll(async () => {
  llm = await startOpenAIServer({
    defaultReply: (request): ServerReply => {
      const format = request.body.response_format;
      if (format?.type === "json_schema") {
        return { text: JSON.stringify(sample(format.json_schema?.schema)) };
      }
      const last = request.body.messages.findLast((m) => m.role === "user");
      return { text: `echo: ${last?.content ?? ""}` };
    },
  });
  workDir = await mkdtemp(join(tmpdir(), "buddy-readme-"));
  await rm(blockDir, { recursive: true, force: true });
  await mkdir(blockDir, { recursive: true });
});

afterAll(async () => {
  await llm?.close();
  await rm(workDir, { recursive: true, force: true });
  const client = new pg.Client({ connectionString: inject("postgresUrl") });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${schema} cascade`);
  } finally {
    await client.end();
  }
});

/** Runs one block in a process of its own, in an empty working directory. */
async function runBlock(block: Block): Promise<Outcome> {
  const file = join(blockDir, `readme-${block.index}.ts`);
  const code = block.code.replaceAll('schema: "buddy"', `schema: "${schema}"`);
  // After the last statement: say so, and if the process is still alive a little later, say why.
  const epilogue = `
console.log(${JSON.stringify(`\n${DONE}`)});
setTimeout(() => console.log("still active:", JSON.stringify(process.getActiveResourcesInfo())), ${EXIT_WITHIN_MS - 1_000}).unref();
`;
  await writeFile(file, `${code}\n${epilogue}`);
  const cwd = join(workDir, `block-${block.index}`);
  await mkdir(cwd, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OPENAI_BASE_URL: `${llm.url}/v1`,
    OPENAI_API_KEY: "readme-spec",
    DATABASE_URL: inject("postgresUrl"),
    BUDDY_TOKEN: "readme-spec",
    API_KEY: "readme-spec",
    TSX_TSCONFIG_PATH: join(root, "tsconfig.json"),
  };
  return new Promise((resolve) => {
    let doneAt: number | undefined;
    const child = execFile(
      process.execPath,
      ["--import", tsx, file],
      { cwd, env, timeout: 30_000, killSignal: "SIGKILL" },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        const exitDelayMs = doneAt === undefined ? undefined : Date.now() - doneAt;
        resolve({ code, stdout, stderr, exitDelayMs });
      },
    );
    child.stdout?.on("data", (chunk: Buffer) => {
      if (doneAt === undefined && chunk.toString().includes(DONE)) {
        doneAt = Date.now();
        // Lingering: stop it once it has had its chance to report what keeps it alive.
        setTimeout(() => child.kill("SIGKILL"), EXIT_WITHIN_MS + 500).unref();
      }
    });
  });
}

describe("README blocks", () => {
  it("are found, and only blocks that start a server are marked type-check only", () => {
    expect(readme.length).toBeGreaterThan(20);
    const marked = readme.filter((b) => b.typeCheckOnly !== undefined);
    for (const block of marked)
      expect(block.code, `README line ${block.line}`).toContain(".listen(");
    // A marker that does not match the convention exactly would silently run the block; catch it.
    const text = readme.map((b) => b.code).join("\n");
    expect(text).not.toContain("readme-spec:");
  });

  // Blocks are independent (each its own directory, sessions and process): run a few at a time.
  const runnable = readme.filter((b) => b.typeCheckOnly === undefined);
  it.concurrent.each(runnable.map((b) => [b.index, b.line, b] as const))(
    "block %i (README line %i) runs and exits promptly",
    async (_index, line, block) => {
      const outcome = await runBlock(block);
      const report = `README line ${line}\n--- stdout\n${outcome.stdout}\n--- stderr\n${outcome.stderr}`;
      expect(outcome.stdout, report).toContain(DONE);
      expect(outcome.stdout, report).not.toContain("still active:");
      expect(outcome.code, report).toBe(0);
      expect(outcome.exitDelayMs, report).toBeLessThan(EXIT_WITHIN_MS);
    },
    40_000,
  );
});
