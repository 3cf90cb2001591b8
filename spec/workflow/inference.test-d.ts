import {
  bindWorkflow,
  defineWorkflow,
  execute,
  RunResponse,
  run,
  type WorkflowContext,
  type WorkflowEvent,
  type WorkflowLike,
  type WorkflowStream,
  workflowCompleted,
} from "buddy-ai";
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";

describe("input inference", () => {
  it("types the function's input from the schema's output, and callers' input from its input", () => {
    const wf = defineWorkflow({
      input: z.object({ topic: z.string(), words: z.coerce.number().default(300) }),
      run: async (_ctx, input) => {
        expectTypeOf(input).toEqualTypeOf<{ topic: string; words: number }>();
      },
    });
    void run(wf, { topic: "x" });
    void run(wf, { topic: "x", words: 5 });
    // @ts-expect-error topic is required
    void run(wf, { words: 5 });
    // @ts-expect-error topic must be a string
    void execute(wf, { topic: 1 });
  });

  it("types input from the function's annotation (object form and shorthand)", () => {
    const a = defineWorkflow({
      name: "a",
      run: async (_ctx, input: { n: number }) => `${input.n}`,
    });
    const b = defineWorkflow(async function* b(_ctx, topic: string) {
      yield topic;
    });
    void run(a, { n: 1 });
    void run(b, "t");
    // @ts-expect-error number expected
    void run(a, { n: "1" });
    // @ts-expect-error string expected
    void run(b, 1);
    // bare functions too
    void run(async (_ctx: WorkflowContext, n: number) => `${n}`, 2);
    // @ts-expect-error number expected
    void run(async (_ctx: WorkflowContext, n: number) => `${n}`, "2");
  });

  it("only accepts the four return styles, yielding content or events", () => {
    // @ts-expect-error numbers are not a return style
    defineWorkflow(async function nope() {
      return 5;
    });
    // @ts-expect-error yielded numbers are not content
    defineWorkflow(async function* nope() {
      yield 5;
    });
  });
});

describe("state inference", () => {
  it("types ctx.sessionState from the annotation and checks sessionState defaults", () => {
    const counter = defineWorkflow(async function counter(
      ctx: WorkflowContext<{ visits: number }>,
    ) {
      expectTypeOf(ctx.sessionState.visits).toEqualTypeOf<number>();
    });
    void run(counter, undefined, { sessionState: { visits: 0 } });
    // @ts-expect-error visits is a number
    void run(counter, undefined, { sessionState: { visits: "0" } });
  });

  it("requires a default for every key the state type declares, and none for optional keys", () => {
    const tagged = defineWorkflow(async function tagged(
      ctx: WorkflowContext<{ visits: number; tags: string[] }>,
    ) {
      ctx.sessionState.tags.push("seen");
    });
    void run(tagged, undefined, { sessionState: { visits: 0, tags: [] } });
    void execute(tagged, undefined, { sessionState: { visits: 0, tags: [] }, debug: true });
    // @ts-expect-error visits and tags have no default
    void run(tagged, undefined);
    // @ts-expect-error tags has no default
    void run(tagged, undefined, { sessionState: { visits: 0 } });
    // @ts-expect-error options without sessionState
    void execute(tagged, undefined, { debug: true });
    const optional = defineWorkflow(async function optional(
      ctx: WorkflowContext<{ visits?: number }>,
    ) {
      expectTypeOf(ctx.sessionState.visits).toEqualTypeOf<number | undefined>();
    });
    void run(optional, undefined);
    void run(async (_ctx: WorkflowContext, n: number) => `${n}`, 1);
    // A bound workflow takes the defaults once; its calls then need none.
    const bound = bindWorkflow(tagged, { sessionState: { visits: 0, tags: [] } });
    void bound.run(undefined);
    void bound.run(undefined, { sessionId: "s" });
    // @ts-expect-error binding needs the defaults too
    bindWorkflow(tagged, { sessionId: "s" });
    const greet = bindWorkflow(async (_ctx: WorkflowContext, name: string) => `Hi ${name}`);
    // @ts-expect-error a string input
    void greet.run(1);
  });
});

describe("content inference", () => {
  it("types run()'s content from what the workflow returns or yields", () => {
    const text = defineWorkflow(async function text(_ctx, topic: string) {
      return `About ${topic}`;
    });
    expectTypeOf(run(text, "x")).toEqualTypeOf<Promise<RunResponse<string>>>();
    const streamed = defineWorkflow({
      name: "streamed",
      input: z.object({ topic: z.string() }),
      async *run(_ctx, { topic }) {
        yield `Researching ${topic}… `;
        yield "done";
      },
    });
    expectTypeOf(run(streamed, { topic: "t" })).toEqualTypeOf<Promise<RunResponse<string>>>();
    const structured = defineWorkflow(async function structured() {
      return new RunResponse({ content: { words: 3 } });
    });
    expectTypeOf(run(structured, undefined)).toEqualTypeOf<
      Promise<RunResponse<{ words: number }>>
    >();
    // Bare functions too.
    expectTypeOf(run(async () => "x", undefined)).toEqualTypeOf<Promise<RunResponse<string>>>();
    // Events carry content of any type: unknown.
    const evented = defineWorkflow(async function* evented() {
      yield "a";
      yield workflowCompleted({ content: 1 });
    });
    expectTypeOf(run(evented, undefined)).toEqualTypeOf<Promise<RunResponse<unknown>>>();
    // Returning nothing: no content.
    const silent = defineWorkflow(async function silent() {});
    expectTypeOf(run(silent, undefined)).toEqualTypeOf<Promise<RunResponse<undefined>>>();
    // A workflow typed loosely stays unknown.
    const loose = (w: WorkflowLike<number>) => run(w, 1);
    expectTypeOf(loose).returns.toEqualTypeOf<Promise<RunResponse<unknown>>>();
  });
});

describe("events", () => {
  it("execute returns a WorkflowStream of WorkflowEvent and run a RunResponse", () => {
    const wf = defineWorkflow(async function* w() {
      yield "x";
    });
    expectTypeOf(execute(wf, undefined)).toEqualTypeOf<WorkflowStream>();
    expectTypeOf(execute(wf, undefined)).toMatchTypeOf<AsyncIterable<WorkflowEvent>>();
    expectTypeOf(run(wf, undefined)).toEqualTypeOf<Promise<RunResponse<string>>>();
  });

  it("narrows on the event field", () => {
    const handle = (event: WorkflowEvent) => {
      switch (event.event) {
        case "WorkflowStarted":
          expectTypeOf(event.workflowName).toEqualTypeOf<string>();
          break;
        case "WorkflowCompleted":
          expectTypeOf(event.response).toEqualTypeOf<RunResponse<unknown>>();
          break;
        case "WorkflowError":
          expectTypeOf(event.error).toEqualTypeOf<string>();
          break;
        case "ToolCallStarted":
          expectTypeOf(event.toolName).toEqualTypeOf<string>();
          break;
        case "RunResponseContent":
          expectTypeOf(event.content).toEqualTypeOf<unknown>();
          // @ts-expect-error content events carry no response
          void event.response;
          break;
      }
    };
    void handle;
  });
});
