import { defineWorkflow, execute, run } from "buddy-ai";
import { describe, expect, it } from "vitest";
import { collect } from "../support/capture-logger.js";

const research = defineWorkflow(async function* research(ctx, topic: string) {
  ctx.sessionState.researched = [...((ctx.sessionState.researched as string[]) ?? []), topic];
  yield `notes on ${topic}`;
});

describe("composition", () => {
  it("yield* ctx.stream forwards the child's events, each with parentRunId, and counts its deltas", async () => {
    const article = defineWorkflow(async function* article(ctx, topic: string) {
      yield "Article: ";
      yield* ctx.stream(research, topic);
    });
    const { events } = await collect(execute(article, "tides", { sessionId: "s" }));
    const parentRunId = events[0]?.runId;
    const child = events.filter((e) => e.parentRunId !== undefined);
    expect(child.map((e) => e.event)).toEqual([
      "WorkflowStarted",
      "RunResponseContent",
      "WorkflowCompleted",
    ]);
    const childRunId = child[0]?.runId;
    expect(childRunId).not.toBe(parentRunId);
    for (const e of child)
      expect(e).toMatchObject({
        parentRunId,
        runId: childRunId,
        sessionId: "s",
        workflowId: "research",
      });
    const last = events.at(-1);
    expect(last).toMatchObject({
      event: "WorkflowCompleted",
      runId: parentRunId,
      content: "Article: notes on tides",
    });
    expect(last?.parentRunId).toBeUndefined();
  });

  it("ctx.run returns the child's response without adding to the parent's content", async () => {
    const article = defineWorkflow(async function article(ctx, topic: string) {
      const notes = await ctx.run(research, topic);
      expect(notes.parentRunId).toBe(ctx.runId);
      expect(notes.status).toBe("completed");
      return `Based on ${notes.content}`;
    });
    const response = await run(article, "waves");
    expect(response.content).toBe("Based on notes on waves");
  });

  it("children share the session's state object", async () => {
    const state = {};
    await run(
      async function parent(ctx) {
        await ctx.run(research, "a");
        for await (const _ of ctx.stream(research, "b"));
        expect(ctx.sessionState.researched).toEqual(["a", "b"]);
      },
      undefined,
      { sessionState: state },
    );
    expect(state).toEqual({ researched: ["a", "b"] });
  });

  it("a child's failure surfaces in the parent as an error it can catch", async () => {
    const failing = defineWorkflow(async function* failing() {
      yield "partial";
      throw new Error("child broke");
    });
    const response = await run(async function* parent(ctx) {
      try {
        await ctx.run(failing, undefined);
      } catch (error) {
        yield `caught: ${(error as Error).message}`;
      }
      try {
        yield* ctx.stream(failing, undefined);
      } catch (error) {
        yield ` / again: ${(error as Error).message}`;
      }
    }, undefined);
    expect(response.status).toBe("completed");
    expect(response.content).toBe("caught: child brokepartial / again: child broke");
  });

  it("a child's error event flows into the parent stream without ending it", async () => {
    const { events, error } = await collect(
      execute(async function* parent(ctx) {
        try {
          yield* ctx.stream(async () => {
            throw new Error("x");
          }, undefined);
        } catch {}
        yield "after";
      }, undefined),
    );
    expect(error).toBeUndefined();
    expect(events.map((e) => [e.event, e.parentRunId !== undefined])).toEqual([
      ["WorkflowStarted", false],
      ["WorkflowStarted", true],
      ["WorkflowError", true],
      ["RunResponseContent", false],
      ["WorkflowCompleted", false],
    ]);
  });

  it("cancelling the parent cancels a streaming child (both finally blocks run)", async () => {
    const log: string[] = [];
    const child = async function* child() {
      try {
        yield "c1";
        yield "c2";
      } finally {
        log.push("child finally");
      }
    };
    for await (const event of execute(async function* parent(ctx) {
      try {
        yield* ctx.stream(child, undefined);
      } finally {
        log.push("parent finally");
      }
    }, undefined)) {
      if (event.event === "RunResponseContent") break;
    }
    expect(log).toEqual(["child finally", "parent finally"]);
  });

  it("grandchildren keep their own parentRunId", async () => {
    const leaf = async function* leaf() {
      yield "leaf";
    };
    const middle = async function* middle(ctx: Parameters<typeof research.run>[0]) {
      yield* ctx.stream(leaf, undefined);
    };
    const { events } = await collect(
      execute(async function* top(ctx) {
        yield* ctx.stream(middle, undefined);
      }, undefined),
    );
    const starts = events.filter((e) => e.event === "WorkflowStarted");
    expect(starts).toHaveLength(3);
    const [top, mid, low] = starts;
    expect(mid?.parentRunId).toBe(top?.runId);
    expect(low?.parentRunId).toBe(mid?.runId);
    expect(events.at(-1)).toMatchObject({
      event: "WorkflowCompleted",
      content: "leaf",
      runId: top?.runId,
    });
  });
});
