import { trace } from "@opentelemetry/api";
import { agent, defineWorkflow, run } from "buddy-ai";
import { scriptedModel } from "buddy-ai/testing";
import { describe, expect, it, vi } from "vitest";

describe("tracing off: @opentelemetry/api installed, no SDK registered", () => {
  it("asks for no tracer and makes no span: runs, steps and agents work as ever", async () => {
    const getTracer = vi.spyOn(trace, "getTracer");
    const writer = agent({ name: "writer", model: scriptedModel(["A draft."]) });
    const article = defineWorkflow(async function* article(ctx) {
      const notes = await ctx.step("notes", () => "notes");
      yield* writer.stream(notes, ctx);
    });
    const response = await run(article, undefined);
    expect(response.content).toBe("A draft.");
    expect(response.extraData).toEqual({});
    expect(getTracer).not.toHaveBeenCalled();
  });
});
