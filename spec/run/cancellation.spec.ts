import { AbortError, execute, run } from "buddy-ai";
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
      reason: "The run was cancelled",
    });
  });
});
