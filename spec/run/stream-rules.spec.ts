import {
  defineWorkflow,
  execute,
  InvalidOptionError,
  InvalidSessionFieldError,
  RunResponse,
  run,
  runResponseContent,
  type WorkflowEvent,
  workflowCompleted,
} from "buddy-ai";
import { describe, expect, it } from "vitest";
import { captureLogger, collect } from "../support/capture-logger.js";

describe("stream rules", () => {
  it("a yielded WorkflowCompleted is the terminal event and its content is never appended twice", async () => {
    const wf = defineWorkflow(async function* article() {
      yield new RunResponse({ content: "draft" });
      yield workflowCompleted({ content: "draft" });
    });
    const { events } = await collect(execute(wf, undefined));
    expect(events.map((e) => e.event)).toEqual([
      "WorkflowStarted",
      "RunResponseContent",
      "WorkflowCompleted",
    ]);
    const last = events.at(-1);
    expect(last?.event === "WorkflowCompleted" && last.content).toBe("draft");
    expect(last?.event === "WorkflowCompleted" && last.response.content).toBe("draft");
    expect(last?.runId).toBe(events[0]?.runId);
  });

  it("a yielded WorkflowCompleted without content keeps the accumulated content", async () => {
    const response = await run(function* () {
      yield "a";
      yield "b";
      yield workflowCompleted();
    }, undefined);
    expect(response.content).toBe("ab");
  });

  it("stops the workflow at its own WorkflowCompleted and runs its finally block", async () => {
    let after = false;
    let cleaned = false;
    const { events } = await collect(
      execute(async function* () {
        try {
          yield workflowCompleted({ content: "done" });
          after = true;
          yield "late";
        } finally {
          cleaned = true;
        }
      }, undefined),
    );
    expect(after).toBe(false);
    expect(cleaned).toBe(true);
    expect(events.filter((e) => e.event === "WorkflowCompleted")).toHaveLength(1);
  });

  it("accumulates content from strings, RunResponses and RunResponseContent events only", async () => {
    const logger = captureLogger();
    const response = await run(
      async function* () {
        yield "a";
        yield runResponseContent("b");
        yield new RunResponse({ content: "c" });
        yield { event: "ToolCallStarted", toolName: "x" } as unknown as WorkflowEvent;
        yield { note: "not an event" } as unknown as string;
      },
      undefined,
      { logger },
    );
    expect(response.content).toBe("abc");
    expect(logger.warnings).toEqual([
      expect.stringMatching(/yielded an object, which is neither content nor an event/),
    ]);
  });

  it("a non-string content value replaces what came before", async () => {
    const response = await run(async function* () {
      yield "draft";
      yield new RunResponse({ content: { title: "Final" } });
    }, undefined);
    expect(response.content).toEqual({ title: "Final" });
  });

  it("ignores lifecycle events a workflow yields itself, with a warning", async () => {
    const logger = captureLogger();
    const { events } = await collect(
      execute(
        async function* () {
          yield { event: "WorkflowError", error: "fake" } as unknown as WorkflowEvent;
          yield "ok";
        },
        undefined,
        { logger },
      ),
    );
    expect(events.map((e) => e.event)).toEqual([
      "WorkflowStarted",
      "RunResponseContent",
      "WorkflowCompleted",
    ]);
    expect(logger.warnings[0]).toMatch(/WorkflowError event; the runtime emits it itself/);
  });

  it("stamps the run's ids over ids carried by forwarded events", async () => {
    const { events } = await collect(
      execute(
        async function* () {
          yield { ...runResponseContent("x"), runId: "agent-run", sessionId: "", workflowId: "" };
        },
        undefined,
        { sessionId: "s" },
      ),
    );
    const runId = events[0]?.runId;
    expect(events[1]).toMatchObject({
      event: "RunResponseContent",
      runId,
      sessionId: "s",
      content: "x",
      agentRunId: "agent-run",
    });
  });

  it("returned RunResponse lends its extra data and messages to the final response", async () => {
    const response = await run(
      async () =>
        new RunResponse({
          content: "x",
          extraData: { source: "unit" },
          messages: [{ role: "user", content: "hi" }],
        }),
      undefined,
    );
    expect(response.extraData).toEqual({ source: "unit" });
    expect(response.messages).toEqual([{ role: "user", content: "hi" }]);
  });

  it("a finished run's response has its end time: finishedAt ≥ createdAt", async () => {
    const before = Date.now();
    const response = await run(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return "x";
    }, undefined);
    expect(response.createdAt).toBeGreaterThanOrEqual(before);
    expect(response.finishedAt).toBeGreaterThanOrEqual(response.createdAt + 4);
  });

  it("a returned string is the content; returning nothing completes with no content", async () => {
    expect((await run(async () => "text", undefined)).content).toBe("text");
    const response = await run(async () => {}, undefined);
    expect(response.status).toBe("completed");
    expect(response.content).toBeUndefined();
  });

  it("refuses an empty sessionId without a store too: InvalidSessionFieldError", async () => {
    const { events, error } = await collect(execute(async () => "x", undefined, { sessionId: "" }));
    expect(error).toBeInstanceOf(InvalidSessionFieldError);
    expect((error as Error).message).toMatch(/sessionId is empty/);
    expect(events.map((e) => e.event)).toEqual(["WorkflowStarted", "WorkflowError"]);
  });

  it("debug logs every event through logger.debug", async () => {
    const logger = captureLogger();
    await run(
      function* () {
        yield "a";
      },
      undefined,
      { logger, debug: true },
    );
    expect(logger.debugs.some((line) => line.includes("RunResponseContent"))).toBe(true);
  });

  it("debug logs every event of every return style, one line each with its name and run id", async () => {
    const styles = [
      () => "plain",
      async () => "async",
      function* () {
        yield "sync";
      },
      async function* () {
        yield "gen";
      },
    ];
    for (const style of styles) {
      const logger = captureLogger();
      const { events } = await collect(execute(style, undefined, { logger, debug: true }));
      expect(logger.debugs).toEqual(
        events.map((e) => `[buddy-ai] ${e.event} run=${e.runId} seq=${e.seq}`),
      );
      expect(logger.debugs[0]).toMatch(/^\[buddy-ai\] WorkflowStarted run=/);
      expect(logger.debugs.at(-1)).toMatch(/^\[buddy-ai\] WorkflowCompleted run=/);
    }
    const failing = captureLogger();
    await collect(
      execute(
        async () => {
          throw new Error("no");
        },
        undefined,
        { logger: failing, debug: true },
      ),
    );
    expect(failing.debugs.at(-1)).toMatch(/^\[buddy-ai\] WorkflowError run=/);
    const cancelled = captureLogger();
    await collect(
      execute(async () => "x", undefined, {
        logger: cancelled,
        debug: true,
        signal: AbortSignal.abort(),
      }),
    );
    expect(cancelled.debugs.at(-1)).toMatch(/^\[buddy-ai\] WorkflowCancelled run=/);
  });

  it("without a store, a completed run's state lands in the sessionState object; history is empty", async () => {
    const state: Record<string, unknown> = { visits: 1, gone: true };
    await run(
      async (ctx) => {
        expect(ctx.history).toEqual([]);
        ctx.sessionState.visits = Number(ctx.sessionState.visits) + 1;
        delete ctx.sessionState.gone;
      },
      undefined,
      { sessionState: state },
    );
    expect(state).toEqual({ visits: 2 });
  });

  it("without a store, a failed or cancelled run leaves the sessionState object as it was", async () => {
    const state = { visits: 1, tags: ["a"] };
    const failing = run(
      async (ctx) => {
        ctx.sessionState.visits = 99;
        (ctx.sessionState.tags as string[]).push("b");
        throw new Error("no");
      },
      undefined,
      { sessionState: state },
    );
    await expect(failing).rejects.toThrow("no");
    const controller = new AbortController();
    const cancelled = run(
      async (ctx) => {
        ctx.sessionState.visits = 42;
        controller.abort();
        await new Promise((resolve) => setTimeout(resolve, 10));
      },
      undefined,
      { sessionState: state, signal: controller.signal },
    );
    await expect(cancelled).rejects.toBeInstanceOf(Error);
    expect(state).toEqual({ visits: 1, tags: ["a"] });
  });

  it("ctx carries the run's ids, names and signal", async () => {
    const wf = defineWorkflow({
      name: "Ctx Check",
      id: "ctx-check-v1",
      run: async (ctx) => {
        expect(ctx).toMatchObject({
          sessionId: "s-9",
          workflowId: "ctx-check-v1",
          workflowName: "Ctx Check",
          userId: "u-1",
        });
        expect(ctx.signal).toBeInstanceOf(AbortSignal);
        expect(ctx.parentRunId).toBeUndefined();
        return ctx.runId;
      },
    });
    const response = await run(wf, undefined, { sessionId: "s-9", userId: "u-1" });
    expect(response.content).toBe(response.runId);
  });
});

describe("options", () => {
  it.each([-1, 1.5, Number.NaN])(
    "refuses historyLimit %s with InvalidOptionError, before running",
    async (historyLimit) => {
      let ran = false;
      const { events, error } = await collect(
        execute(
          async () => {
            ran = true;
          },
          undefined,
          { historyLimit },
        ),
      );
      expect(ran).toBe(false);
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as Error).message).toMatch(/historyLimit must be a whole number/);
      expect(events.map((e) => e.event)).toEqual(["WorkflowStarted", "WorkflowError"]);
    },
  );
});
