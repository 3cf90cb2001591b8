import { execFileSync, spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import {
  defineWorkflow,
  run,
  SessionBusyError,
  StorageConfigError,
  StorageUnavailableError,
} from "buddy-ai";
import { sqliteStorage } from "buddy-ai/sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { settle } from "../session/conformance-support.js";

const quiet = { warn: () => {}, debug: () => {} };

/**
 * Makes `path` read-only for this process, and gives a function that undoes it. Root ignores
 * file modes, so as root the file or directory is made immutable (`chattr +i`) instead.
 */
async function readOnly(path: string, mode: number): Promise<() => Promise<void>> {
  if (process.getuid?.() === 0) {
    execFileSync("chattr", ["+i", path]);
    return async () => {
      execFileSync("chattr", ["-i", path]);
    };
  }
  await chmod(path, mode);
  return () => chmod(path, 0o755);
}

describe("SQLite under faults", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "buddy-faults-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("a full disk at the save: StorageUnavailableError naming the file, state kept, the session free at once", async () => {
    const file = join(dir, "full.db");
    const database = new Database(file);
    database.pragma("journal_mode = WAL");
    // A long lease and a short wait: a session left locked by the failed run would be busy.
    const storage = sqliteStorage({ database, leaseMs: 60_000, busyTimeoutMs: 1_000 });
    let full = false;
    const grow = defineWorkflow(async function grow(ctx) {
      // The disk fills up while the run is in flight (SQLite refuses to grow past the limit).
      if (full)
        database.pragma(`max_page_count = ${database.pragma("page_count", { simple: true })}`);
      const runs = Number(ctx.sessionState.runs ?? 0) + 1;
      ctx.sessionState.blob = "x".repeat(300_000 * runs); // more pages than the state had
      ctx.sessionState.runs = runs;
      return "grown";
    });
    await run(grow, undefined, { storage, sessionId: "s", logger: quiet });
    const before = await storage.readSession("s");

    full = true;
    const { error } = await settle(
      run(grow, undefined, { storage, sessionId: "s", logger: quiet }),
    );
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect(String(error)).toContain(file);
    expect(String(error)).toMatch(/is full/);
    expect((error as Error).cause).toMatchObject({ code: "SQLITE_FULL" });
    expect((await storage.readSession("s"))?.sessionState).toEqual(before?.sessionState);

    // Room again: the next run of the session starts now (not when the lease would expire).
    full = false;
    database.pragma("max_page_count = 1073741823");
    const next = await run(grow, undefined, { storage, sessionId: "s", logger: quiet });
    expect(next.status).toBe("completed");
    expect((await storage.readSession("s"))?.sessionState.runs).toBe(2);
    const runs = await storage.listRuns("s");
    expect(runs.map((r) => r.status)).toEqual(["completed", "error", "completed"]);
    expect(database.pragma("integrity_check", { simple: true })).toBe("ok");
    await storage.close();
    database.close();
  });

  it("a file that is not a database, and a path that cannot be a file: StorageConfigError naming it", async () => {
    const notADatabase = join(dir, "notes.db");
    await writeFile(notADatabase, "These are my notes, not a database. ".repeat(200));
    const hello = async () => "hello";
    const bad = sqliteStorage({ dbFile: notADatabase });
    const first = await settle(
      run(hello, undefined, { storage: bad, sessionId: "s", logger: quiet }),
    );
    expect(first.error).toBeInstanceOf(StorageConfigError);
    expect(String(first.error)).toContain(notADatabase);
    expect(String(first.error)).toMatch(/not a SQLite database/);
    await bad.close();

    const underAFile = join(notADatabase, "inside", "buddy.db");
    const nowhere = sqliteStorage({ dbFile: underAFile });
    const second = await settle(nowhere.listSessions());
    expect(second.error).toBeInstanceOf(StorageConfigError);
    expect(String(second.error)).toContain(underAFile);
    expect((second.error as Error).cause).toBeDefined();
    await nowhere.close();
  });

  it("a read-only file and a read-only directory: StorageConfigError naming the file and what to do", async () => {
    const hello = async () => "hello";
    const file = join(dir, "kept.db");
    const writable = sqliteStorage({ dbFile: file });
    await run(hello, undefined, { storage: writable, sessionId: "s", logger: quiet });
    await writable.close();
    const undoFile = await readOnly(file, 0o444);
    try {
      const locked = sqliteStorage({ dbFile: file });
      const refused = await settle(
        run(hello, undefined, { storage: locked, sessionId: "s", logger: quiet }),
      );
      expect(refused.error).toBeInstanceOf(StorageConfigError);
      expect(String(refused.error)).toContain(file);
      expect(String(refused.error)).toMatch(/read-only: give this process write access/);
      await locked.close();
    } finally {
      await undoFile();
    }
    const folder = join(dir, "locked");
    await mkdir(folder);
    const undoFolder = await readOnly(folder, 0o555);
    try {
      const inside = join(folder, "new.db");
      const nowhere = sqliteStorage({ dbFile: inside });
      const refused = await settle(
        run(hello, undefined, { storage: nowhere, sessionId: "s", logger: quiet }),
      );
      expect(refused.error).toBeInstanceOf(StorageConfigError);
      expect(String(refused.error)).toContain(inside);
      expect(String(refused.error)).toMatch(/may create and write files in its directory/);
      await nowhere.close();
    } finally {
      await undoFolder();
    }
  });

  it("a writer stopped inside its transaction: SessionBusyError within busyTimeoutMs, then runs go on", async () => {
    const file = join(dir, "stalled.db");
    const storage = sqliteStorage({ dbFile: file, busyTimeoutMs: 1_500 });
    const count = defineWorkflow(async function count(ctx) {
      ctx.sessionState.n = Number(ctx.sessionState.n ?? 0) + 1;
      return "counted";
    });
    await run(count, undefined, { storage, sessionId: "other", logger: quiet });
    // Another process takes SQLite's write lock, then stops (SIGSTOP) before committing.
    const script = `
      const Database = require("better-sqlite3");
      const db = new Database(${JSON.stringify(file)});
      db.prepare("begin immediate").run();
      db.prepare("update buddy_sessions set updated_at = updated_at").run();
      process.stdout.write("locked\\n");
      process.kill(process.pid, "SIGSTOP");`;
    const writer = spawn(process.execPath, ["-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise((resolve) => writer.once("exit", resolve));
    try {
      await new Promise<void>((resolve) => writer.stdout.once("data", () => resolve()));
      const started = performance.now();
      const { error } = await settle(
        run(count, undefined, { storage, sessionId: "s", logger: quiet }),
      );
      const waited = performance.now() - started;
      expect(error).toBeInstanceOf(SessionBusyError);
      expect(waited).toBeGreaterThanOrEqual(1_400);
      expect(waited).toBeLessThan(1_500 + 1_000);
    } finally {
      writer.kill("SIGKILL"); // its transaction rolls back
      await exited;
    }
    const after = await run(count, undefined, { storage, sessionId: "s", logger: quiet });
    expect(after.status).toBe("completed");
    expect((await storage.readSession("s"))?.sessionState).toEqual({ n: 1 });
    await storage.close();
  });

  it("takes the durability asked for, and refuses a level it does not know", async () => {
    const file = join(dir, "durable.db");
    const storage = sqliteStorage({ dbFile: file, synchronous: "full" });
    await run(async () => "kept", undefined, { storage, sessionId: "s", logger: quiet });
    await storage.close();
    expect(() =>
      sqliteStorage({ dbFile: file, synchronous: "off" as "full" }).listSessions(),
    ).toThrow(StorageConfigError);
  });
});
