import type { StandardSchemaV1 } from "@standard-schema/spec";
import { defineWorkflow, execute, InputValidationError, run } from "buddy-ai";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { collect } from "../support/capture-logger.js";

describe("defineWorkflow", () => {
  it("takes name, id and description; the id defaults to a slug of the name", () => {
    const wf = defineWorkflow({
      name: "Article Writer",
      description: "Writes.",
      run: async () => "x",
    });
    expect(wf).toMatchObject({
      name: "Article Writer",
      id: "article-writer",
      description: "Writes.",
    });
    expect(defineWorkflow({ name: "a", id: "custom", run: async () => "x" }).id).toBe("custom");
  });

  it("shorthand takes the name from the function", () => {
    const wf = defineWorkflow(async function researchTopic() {});
    expect(wf).toMatchObject({
      name: "researchTopic",
      id: "research-topic",
      description: undefined,
    });
    expect(defineWorkflow(async () => {}).name).toBe("workflow");
  });

  it("refuses a definition without a run function", () => {
    expect(() => defineWorkflow({ name: "x" } as never)).toThrow(/`run` must be a function/);
  });

  it("a bare function is accepted by execute and run, named after itself", async () => {
    const { events } = await collect(
      execute(async function* greet() {
        yield "hi";
      }, undefined),
    );
    expect(events[0]).toMatchObject({
      event: "WorkflowStarted",
      workflowName: "greet",
      workflowId: "greet",
    });
  });
});

describe("input schemas", () => {
  const wf = defineWorkflow({
    name: "article",
    input: z.object({ topic: z.string().min(2), words: z.coerce.number().default(300) }),
    run: async (_ctx, input) => `${input.topic}:${input.words}`,
  });

  it("validates and transforms input before the run", async () => {
    expect((await run(wf, { topic: "tides" })).content).toBe("tides:300");
  });

  it("bad input fails with InputValidationError listing every issue, before the workflow runs", async () => {
    let ran = false;
    const guarded = defineWorkflow({
      name: "guarded",
      input: z.object({ topic: z.string(), words: z.number() }),
      run: async () => {
        ran = true;
      },
    });
    const { events, error } = await collect(execute(guarded, { topic: 1, words: "x" } as never));
    expect(ran).toBe(false);
    expect(error).toBeInstanceOf(InputValidationError);
    const issues = (error as InputValidationError).issues;
    expect(issues.map((i) => i.path)).toEqual([["topic"], ["words"]]);
    expect((error as Error).message).toMatch(/Invalid input for workflow "guarded"/);
    expect((error as Error).message).toMatch(/input\.topic: /);
    expect(events.map((e) => e.event)).toEqual(["WorkflowStarted", "WorkflowError"]);
    expect(events.at(-1)).toMatchObject({ errorName: "InputValidationError" });
  });

  it("accepts async Standard Schema validators", async () => {
    const asyncSchema: StandardSchemaV1<string, string> = {
      "~standard": {
        version: 1,
        vendor: "test",
        validate: async (value: unknown) =>
          typeof value === "string"
            ? { value: value.toUpperCase() }
            : { issues: [{ message: "must be a string" }] },
      },
    };
    const shout = defineWorkflow({
      name: "shout",
      input: asyncSchema,
      run: async (_ctx, text) => text,
    });
    expect((await run(shout, "hey")).content).toBe("HEY");
    await expect(run(shout, 5 as never)).rejects.toThrow(/input: must be a string/);
  });
});
