import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

/** Imports an entry of the built package under plain Node, as a consumer would. */
async function exportsOf(specifier: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m).sort()));`,
    ],
    { cwd: root },
  );
  return JSON.parse(stdout) as string[];
}

describe("the built package", () => {
  it("declares ESM, Node >= 20, no side effects and typed entry points", async () => {
    const pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8"));
    expect(pkg).toMatchObject({
      name: "buddy-ai",
      type: "module",
      sideEffects: false,
      engines: { node: ">=20" },
    });
    for (const entry of [".", "./sqlite", "./postgres", "./openai", "./testing", "./http"]) {
      expect(pkg.exports[entry]).toEqual({
        types: expect.stringMatching(/^\.\/dist\/.+\.d\.ts$/),
        import: expect.stringMatching(/^\.\/dist\/.+\.js$/),
      });
    }
  });

  it("`buddy-ai` exports the runtime under plain Node", async () => {
    const names = await exportsOf("buddy-ai");
    for (const name of [
      "defineWorkflow",
      "execute",
      "run",
      "RunResponse",
      "RunEvent",
      "newSessionId",
      "workflowCompleted",
    ]) {
      expect(names).toContain(name);
    }
  });

  it.each([
    ["buddy-ai/sqlite", ["sqliteStorage"]],
    ["buddy-ai/postgres", ["postgresStorage"]],
    ["buddy-ai/openai", ["openai", "ModelHTTPError"]],
    ["buddy-ai/testing", ["scriptedModel"]],
    ["buddy-ai/http", ["createHandler", "toSSEResponse", "toNodeListener"]],
    [
      "buddy-ai",
      ["agent", "tool", "SessionBusyError", "SessionConflictError", "StorageUnavailableError"],
    ],
  ])("%s exports %j under plain Node", async (specifier, expected) => {
    expect(await exportsOf(specifier)).toEqual(expect.arrayContaining(expected));
  });
});
