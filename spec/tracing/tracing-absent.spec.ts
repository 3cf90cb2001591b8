import { agent, defineWorkflow, run } from "buddy-ai";
import { scriptedModel } from "buddy-ai/testing";
import { describe, expect, it, vi } from "vitest";

// As if the optional peer dependency were not installed: importing it fails.
vi.mock("@opentelemetry/api", () => {
  throw Object.assign(new Error("Cannot find package '@opentelemetry/api'"), {
    code: "ERR_MODULE_NOT_FOUND",
  });
});

describe("tracing off: @opentelemetry/api not installed", () => {
  it("runs workflows, steps and agents as ever", async () => {
    await expect(import("@opentelemetry/api")).rejects.toThrow();
    const writer = agent({ name: "writer", model: scriptedModel(["A draft.", "Again."]) });
    const article = defineWorkflow(async function* article(ctx) {
      const notes = await ctx.step("notes", () => "notes");
      yield* writer.stream(notes, ctx);
    });
    expect((await run(article, undefined)).content).toBe("A draft.");
    // Later runs too (the failed import is remembered, not tried again).
    expect((await run(article, undefined)).content).toBe("Again.");
  });
});
