import { execFile } from "node:child_process";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
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
