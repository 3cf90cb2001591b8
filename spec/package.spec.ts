import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

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

const run = promisify(execFile);
const bin = (pkg: string, file: string) => join(root, "node_modules", pkg, file);

describe("the tarball", () => {
  let dir: string;
  let tarball: string;
  let unpacked: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "buddy-pack-"));
    // What `npm publish` would upload (the build already ran: `npm test` builds first).
    const { stdout } = await run(
      "npm",
      ["pack", "--ignore-scripts", "--silent", "--pack-destination", dir],
      { cwd: root },
    );
    tarball = join(dir, stdout.trim().split("\n").at(-1) ?? "");
    unpacked = join(dir, "unpacked");
    await mkdir(unpacked);
    await run("tar", ["-xzf", tarball, "-C", unpacked]);
  }, 60_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function files(): Promise<string[]> {
    const entries = await readdir(join(unpacked, "package"), {
      recursive: true,
      withFileTypes: true,
    });
    return entries
      .filter((e) => e.isFile())
      .map((e) => posix.relative(join(unpacked, "package"), join(e.parentPath, e.name)))
      .sort();
  }

  it("ships the MIT LICENSE that package.json names, the README, dist and the sources", async () => {
    const shipped = await files();
    expect(shipped).toEqual(expect.arrayContaining(["LICENSE", "README.md", "package.json"]));
    expect(shipped.filter((f) => !/^(dist|lib)\//.test(f))).toEqual([
      "LICENSE",
      "README.md",
      "package.json",
    ]);
    const license = await readFile(join(unpacked, "package", "LICENSE"), "utf8");
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} buddy-ai contributors\n/);
    expect(license).toContain('THE SOFTWARE IS PROVIDED "AS IS"');
  });

  it("every source map names files that are in the tarball", async () => {
    const shipped = new Set(await files());
    const maps = [...shipped].filter((f) => f.endsWith(".map"));
    expect(maps.length).toBeGreaterThan(20);
    expect(maps).toContain("dist/index.js.map");
    expect(maps).toContain("dist/index.d.ts.map");
    const missing: string[] = [];
    for (const map of maps) {
      const { sources, sourceRoot } = JSON.parse(
        await readFile(join(unpacked, "package", map), "utf8"),
      ) as { sources: string[]; sourceRoot?: string };
      expect(sources.length, map).toBeGreaterThan(0);
      for (const source of sources) {
        const file = posix.normalize(posix.join(posix.dirname(map), sourceRoot ?? "", source));
        if (!shipped.has(file)) missing.push(`${map} → ${file}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("publint --strict finds nothing to fix", async () => {
    const { stdout } = await run(process.execPath, [
      bin("publint", "src/cli.js"),
      "run",
      tarball,
      "--strict",
    ]).catch((error: { stdout: string; stderr: string }) => {
      throw new Error(`publint failed:\n${error.stdout}\n${error.stderr}`);
    });
    expect(stdout).toContain("All good!");
  }, 60_000);

  it("are-the-types-wrong finds no problem for ESM consumers of any entry point", async () => {
    const { stdout } = await run(process.execPath, [
      bin("@arethetypeswrong/cli", "dist/index.js"),
      tarball,
      "--profile",
      "esm-only",
      "--format",
      "json",
    ]).catch((error: { stdout: string; stderr: string }) => {
      throw new Error(`attw failed:\n${error.stdout}\n${error.stderr}`);
    });
    const report = JSON.parse(stdout) as {
      analysis: { entrypoints: Record<string, unknown> };
      problems: Record<string, { entrypoint: string; resolutionKind: string }[]>;
    };
    expect(Object.keys(report.analysis.entrypoints)).toEqual(
      expect.arrayContaining([".", "./sqlite", "./postgres", "./openai", "./testing", "./http"]),
    );
    // An ESM-only package: CommonJS and node10 resolution are out of scope (the esm-only profile).
    const problems = Object.values(report.problems)
      .flat()
      .filter((p) => p.resolutionKind !== "node10" && p.resolutionKind !== "node16-cjs");
    expect(problems).toEqual([]);
  }, 60_000);
});

describe("package-lock.json", () => {
  it("records exactly the dependencies package.json declares (npm install would not change it)", async () => {
    const pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8"));
    const lock = JSON.parse(await readFile(join(root, "package-lock.json"), "utf8"));
    const locked = lock.packages[""];
    expect(lock.name).toBe(pkg.name);
    expect(locked).toMatchObject({ name: pkg.name, version: pkg.version, license: pkg.license });
    for (const field of [
      "dependencies",
      "devDependencies",
      "peerDependencies",
      "peerDependenciesMeta",
      "optionalDependencies",
      "engines",
    ]) {
      expect(locked[field] ?? {}, field).toEqual(pkg[field] ?? {});
    }
    // npm records `bin` paths without the leading "./".
    const bin = Object.fromEntries(
      Object.entries((pkg.bin ?? {}) as Record<string, string>).map(([k, v]) => [
        k,
        v.replace(/^\.\//, ""),
      ]),
    );
    expect(locked.bin ?? {}, "bin").toEqual(bin);
    // Every declared dependency is resolved in the lock.
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) {
      expect(lock.packages[`node_modules/${name}`]?.version, name).toBeDefined();
    }
  });
});
