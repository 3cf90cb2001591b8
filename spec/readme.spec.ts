import { execFile } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

/** Every ```ts block of the README, in order. */
async function readmeBlocks(): Promise<string[]> {
  const readme = await readFile(join(root, "README.md"), "utf8");
  return [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? "");
}

describe("README", () => {
  it("every TypeScript code block type-checks against the package", async () => {
    const blocks = await readmeBlocks();
    expect(blocks.length).toBeGreaterThan(5);
    const dir = join(root, "tmp", "readme-blocks");
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await Promise.all(
      blocks.map((code, i) => writeFile(join(dir, `block-${i + 1}.ts`), `${code}\nexport {};\n`)),
    );
    await writeFile(
      join(dir, "tsconfig.json"),
      JSON.stringify({ extends: "../../tsconfig.json", include: ["*.ts"] }),
    );
    const result = await promisify(execFile)(process.execPath, [tsc, "-p", dir], {
      cwd: root,
    }).then(
      () => "",
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(result).toBe("");
  }, 60_000);
});
