import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bindWorkflow, defineWorkflow, type WorkflowContext } from "buddy-ai";
import { sqliteStorage } from "buddy-ai/sqlite";
import { describe, expect, it } from "vitest";
import { captureLogger } from "../support/capture-logger.js";

const article = defineWorkflow(async function* article(
  ctx: WorkflowContext<{ tone: string; count: number }>,
  topic: string,
) {
  ctx.sessionState.count += 1;
  yield `${ctx.sessionState.tone} #${ctx.sessionState.count}: ${topic}`;
});

describe("bindWorkflow", () => {
  it("runs with the bound options; a call's options override them key by key", async () => {
    const dir = await mkdtemp(join(tmpdir(), "buddy-bind-"));
    const storage = sqliteStorage({ dbFile: join(dir, "wf.db"), tableName: "workflows" });
    const logger = captureLogger();
    try {
      const workflow = bindWorkflow(article, {
        sessionId: "user-42",
        sessionState: { tone: "concise", count: 0 },
        storage,
        logger,
        debug: true,
      });
      expect((await workflow.run("tides")).content).toBe("concise #1: tides");
      // The same session picks up where it left off.
      expect((await workflow.run("moons")).content).toBe("concise #2: moons");
      expect(logger.debugs.length).toBeGreaterThan(0);
      // Overrides: another session with other defaults; the bound options are unchanged.
      const other = await workflow.run("stars", {
        sessionId: "user-7",
        sessionState: { tone: "lyrical", count: 10 },
      });
      expect(other.content).toBe("lyrical #11: stars");
      expect(other.sessionId).toBe("user-7");
      expect(workflow.options.sessionId).toBe("user-42");
      const events = [];
      for await (const e of workflow.execute("comets")) events.push(e.event);
      expect(events.at(-1)).toBe("WorkflowCompleted");
      expect((await storage.readSession("user-42"))?.sessionState).toEqual({
        tone: "concise",
        count: 3,
      });
      expect(Object.isFrozen(workflow.options)).toBe(true);
    } finally {
      await storage.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
