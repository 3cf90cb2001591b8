import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

/** Every ```ts block of a Markdown text. */
function markdownBlocks(text: string): string[] {
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? "");
}

/** Every ```ts block inside the TSDoc comments of a source file, with the ` * ` margins removed. */
function tsdocBlocks(source: string): string[] {
  const blocks: string[] = [];
  for (const comment of source.matchAll(/\/\*\*([\s\S]*?)\*\//g)) {
    const lines = (comment[1] ?? "").split("\n").map((line) => line.replace(/^\s*\* ?/, ""));
    blocks.push(...markdownBlocks(lines.join("\n")));
  }
  return blocks;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => join(e.parentPath, e.name));
}

/** Type-checks each snippet as its own module against the package; resolves tsc's complaints. */
async function typeCheck(
  name: string,
  snippets: { file: string; code: string }[],
): Promise<string> {
  const dir = join(root, "tmp", name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await Promise.all(snippets.map((s) => writeFile(join(dir, s.file), `${s.code}\nexport {};\n`)));
  await writeFile(
    join(dir, "tsconfig.json"),
    JSON.stringify({ extends: "../../tsconfig.json", include: ["*.ts"] }),
  );
  return promisify(execFile)(process.execPath, [tsc, "-p", dir], { cwd: root }).then(
    () => "",
    (error: { stdout?: string }) => error.stdout ?? String(error),
  );
}

describe("documentation examples", () => {
  it("every TypeScript block of the README type-checks against the package", async () => {
    const blocks = markdownBlocks(await readFile(join(root, "README.md"), "utf8"));
    expect(blocks.length).toBeGreaterThan(10);
    const snippets = blocks.map((code, i) => ({ file: `readme-${i + 1}.ts`, code }));
    expect(await typeCheck("readme-blocks", snippets)).toBe("");
  }, 60_000);

  it("every TSDoc example in lib/ type-checks against the package", async () => {
    const snippets: { file: string; code: string }[] = [];
    for (const file of await sourceFiles(join(root, "lib"))) {
      const name = relative(join(root, "lib"), file).replaceAll("/", "__").replace(/\.ts$/, "");
      tsdocBlocks(await readFile(file, "utf8")).forEach((code, i) => {
        snippets.push({ file: `${name}--${i + 1}.ts`, code });
      });
    }
    expect(snippets.length).toBeGreaterThan(50);
    expect(await typeCheck("tsdoc-blocks", snippets)).toBe("");
  }, 60_000);
});

/** The README's section under `## <title>`, up to the next `## `. */
function section(readme: string, title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start === -1) return "";
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

describe("the README's Examples section", () => {
  it("lists every program in examples/, and names no file that is not there", async () => {
    const readme = await readFile(join(root, "README.md"), "utf8");
    expect(readme).toContain("[Examples](#examples)"); // the top section points to it
    const examples = section(readme, "Examples");
    const files = (await readdir(join(root, "examples"))).filter((f) => f.endsWith(".ts"));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const file of files) {
      expect(examples, `examples/${file} is not described in the README`).toContain(
        `[\`${file}\`](examples/${file})`,
      );
    }
    for (const [, named] of readme.matchAll(/examples\/([\w-]+\.ts)/g)) {
      expect(files, `the README names examples/${named}`).toContain(named);
    }
  });

  it("runs an agent example without an API key through the local OpenAI-compatible server, as it says", async () => {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.OPENAI_API_KEY;
    delete env.OPENAI_BASE_URL;
    const server = spawn(process.execPath, ["--import", tsx, "examples/local-server.ts"], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = once(server, "exit");
    let log = "";
    server.stdout.on("data", (chunk: Buffer) => {
      log += chunk.toString();
    });
    const dir = await mkdtemp(join(tmpdir(), "buddy-local-server-"));
    try {
      await expect.poll(() => log, { timeout: 15_000 }).toContain("npm start");
      // The line the server prints is what the README tells the reader to run.
      const line = /^ {2}(OPENAI_BASE_URL=(http:\/\/127\.0\.0\.1:\d+\/v1)) npm start$/m.exec(log);
      expect(line).not.toBeNull();
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ["--import", tsx, "examples/article.ts", "tides"],
        {
          cwd: root,
          env: { ...env, OPENAI_BASE_URL: line?.[2], BUDDY_DB_FILE: join(dir, "buddy.db") },
        },
      );
      expect(stdout).not.toContain("scripted model");
      expect(stdout).toContain("echo: Research: tides"); // the researcher's answer, via the writer
      expect(stdout).toMatch(/completed, \d+ tokens/);
      await expect
        .poll(() => log)
        .toContain('POST /v1/chat/completions (gpt-4o-mini): "Research: tides"');
    } finally {
      server.kill("SIGTERM");
      await rm(dir, { recursive: true, force: true });
    }
    const [code] = await exited;
    expect(code).toBe(0); // Ctrl-C (or SIGTERM) stops it cleanly
  }, 60_000);
});
