import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AbortError, execute, run } from "buddy-ai";
import { sqliteStorage } from "buddy-ai/sqlite";
import { describe, expect, it } from "vitest";
import { collect } from "../support/capture-logger.js";

function abortable(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

/** A signal that aborts with `reason` 60 ms from now. */
function abortLater(reason: unknown): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(reason), 60);
  return controller.signal;
}

describe("cancellation", () => {
  it("breaking out of the loop closes the workflow's generator (its finally runs)", async () => {
    const log: string[] = [];
    for await (const event of execute(async function* (ctx) {
      try {
        yield "one";
        yield "two";
      } finally {
        log.push(`finally aborted=${ctx.signal.aborted}`);
      }
    }, undefined)) {
      if (event.event === "RunResponseContent") break;
    }
    expect(log).toEqual(["finally aborted=true"]);
  });

  it("breaking out closes a sync generator too", async () => {
    let cleaned = false;
    for await (const event of execute(function* () {
      try {
        yield "one";
        yield "two";
      } finally {
        cleaned = true;
      }
    }, undefined)) {
      if (event.event === "RunResponseContent") break;
    }
    expect(cleaned).toBe(true);
  });

  it("a signal aborted mid-run interrupts an in-flight await, runs finally, ends with WorkflowCancelled then AbortError", async () => {
    const controller = new AbortController();
    let cleaned = false;
    const stream = execute(
      async function* (ctx) {
        try {
          yield "started";
          await abortable(60_000, ctx.signal);
          yield "never";
        } finally {
          cleaned = true;
        }
      },
      undefined,
      { signal: controller.signal },
    );
    const seen: string[] = [];
    let error: unknown;
    try {
      for await (const event of stream) {
        seen.push(event.event);
        if (event.event === "RunResponseContent")
          setTimeout(() => controller.abort(new Error("stop")), 5);
      }
    } catch (e) {
      error = e;
    }
    expect(seen).toEqual(["WorkflowStarted", "RunResponseContent", "WorkflowCancelled"]);
    expect(error).toBeInstanceOf(AbortError);
    expect((error as AbortError).cause).toEqual(new Error("stop"));
    expect(cleaned).toBe(true);
  });

  it("ends a cancelled run even when the await its workflow is in ignores the signal", async () => {
    const controller = new AbortController();
    const stream = execute(
      async function* (ctx) {
        yield "started";
        await ctx.step("stuck", () => new Promise<never>(() => {})); // never settles
      },
      undefined,
      { signal: controller.signal },
    );
    const seen: string[] = [];
    const began = Date.now();
    let error: unknown;
    try {
      for await (const event of stream) {
        seen.push(event.event);
        if (event.event === "RunResponseContent") setTimeout(() => controller.abort(), 5);
      }
    } catch (e) {
      error = e;
    }
    expect(seen).toEqual(["WorkflowStarted", "RunResponseContent", "WorkflowCancelled"]);
    expect(error).toBeInstanceOf(AbortError);
    // Its clean-up was waited for a moment (a second), not for ever.
    expect(Date.now() - began).toBeLessThan(3_000);
  });

  it("run() rejects with AbortError when an async function's signal aborts", async () => {
    const controller = new AbortController();
    const pending = run(
      async (ctx) => {
        await abortable(60_000, ctx.signal);
        return "never";
      },
      undefined,
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 5);
    await expect(pending).rejects.toBeInstanceOf(AbortError);
  });

  it("the terminal event of a cancelled run names the reason", async () => {
    const controller = new AbortController();
    controller.abort();
    const { events } = await collect(
      execute(
        async function* () {
          yield "x";
        },
        undefined,
        { signal: controller.signal },
      ),
    );
    expect(events.at(-1)).toMatchObject({
      event: "WorkflowCancelled",
      reason: "The run was cancelled: This operation was aborted",
    });
  });

  it.each([
    [() => AbortSignal.timeout(60), /^The run was cancelled: TimeoutError: /],
    [() => abortLater("the client went away"), /^The run was cancelled: the client went away$/],
    [
      () => abortLater(new RangeError("budget spent")),
      /^The run was cancelled: RangeError: budget spent$/,
    ],
  ])(
    "keeps the signal's reason in the event, the error and the stored run (%#)",
    async (signal, message) => {
      const dir = await mkdtemp(join(tmpdir(), "buddy-cancel-"));
      const storage = sqliteStorage({ dbFile: join(dir, "cancel.db") });
      try {
        const { events, error } = await collect(
          execute(
            async function* waits(ctx) {
              yield "x";
              await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
            },
            undefined,
            { signal: signal(), storage, sessionId: "c" },
          ),
        );
        const last = events.at(-1);
        expect(last?.event).toBe("WorkflowCancelled");
        expect(last).toMatchObject({ content: "x" }); // what was streamed stays
        expect(last?.event === "WorkflowCancelled" ? last.reason : "").toMatch(message);
        expect(error).toBeInstanceOf(AbortError);
        expect((error as Error).message).toMatch(message);
        const [stored] = await storage.listRuns("c");
        expect(stored?.status).toBe("cancelled");
        expect(stored?.error).toMatch(message);
      } finally {
        await storage.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
