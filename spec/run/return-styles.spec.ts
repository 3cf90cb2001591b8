import {
  defineWorkflow,
  execute,
  RunResponse,
  run,
  type WorkflowContext,
  type WorkflowFn,
  type WorkflowItem,
} from "buddy-ai";
import { describe, expect, it } from "vitest";
import { captureLogger, collect } from "../support/capture-logger.js";

/**
 * The same behaviours over every return style. Each factory turns "the items this workflow
 * produces" (or "the error it throws after them") into a workflow of that style.
 */
type Style = {
  name: string;
  make(items: WorkflowItem[], fail?: Error, onFinally?: () => void): WorkflowFn<string>;
  /** Plain returns produce one content item: the items joined. */
  single: boolean;
};

const joined = (items: WorkflowItem[]) =>
  new RunResponse({
    content: items.map((i) => (typeof i === "string" ? i : (i as RunResponse).content)).join(""),
  });

const styles: Style[] = [
  {
    name: "plain RunResponse",
    single: true,
    make: (items, fail, onFinally) => () => {
      try {
        if (fail) throw fail;
        return joined(items);
      } finally {
        onFinally?.();
      }
    },
  },
  {
    name: "returned promise (non-async function)",
    single: true,
    make: (items, fail, onFinally) => () =>
      new Promise<RunResponse>((resolve, reject) =>
        setTimeout(() => (fail ? reject(fail) : resolve(joined(items))), 1),
      ).finally(onFinally),
  },
  {
    name: "async function",
    single: true,
    make: (items, fail, onFinally) => async () => {
      try {
        await Promise.resolve();
        if (fail) throw fail;
        return joined(items);
      } finally {
        onFinally?.();
      }
    },
  },
  {
    name: "sync generator",
    single: false,
    make: (items, fail, onFinally) =>
      function* () {
        try {
          for (const item of items) yield item;
          if (fail) throw fail;
        } finally {
          onFinally?.();
        }
      },
  },
  {
    name: "async generator",
    single: false,
    make: (items, fail, onFinally) =>
      async function* () {
        try {
          for (const item of items) {
            await Promise.resolve();
            yield item;
          }
          if (fail) throw fail;
        } finally {
          onFinally?.();
        }
      },
  },
];

describe.each(styles)("return style: $name", (style) => {
  const items: WorkflowItem[] = ["Hello", ", ", new RunResponse({ content: "world" })];

  it("streams WorkflowStarted first and exactly one WorkflowCompleted last, with the content", async () => {
    const { events, error } = await collect(execute(style.make(items), "in"));
    expect(error).toBeUndefined();
    expect(events[0]?.event).toBe("WorkflowStarted");
    expect(events.at(-1)?.event).toBe("WorkflowCompleted");
    expect(
      events.filter((e) => e.event.startsWith("Workflow") && e.event !== "WorkflowStarted"),
    ).toHaveLength(1);
    const deltas = events.filter((e) => e.event === "RunResponseContent").map((e) => e.content);
    expect(deltas).toEqual(style.single ? ["Hello, world"] : ["Hello", ", ", "world"]);
    const last = events.at(-1);
    expect(last?.event === "WorkflowCompleted" && last.content).toBe("Hello, world");
  });

  it("stamps runId, sessionId and workflowId on every event and on the response", async () => {
    const wf = defineWorkflow({ name: "Stamp Me", run: style.make(items) });
    const { events } = await collect(execute(wf, "in", { sessionId: "s-1" }));
    const runId = events[0]?.runId;
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    for (const event of events) {
      expect(event).toMatchObject({ runId, sessionId: "s-1", workflowId: "stamp-me" });
      expect(typeof event.createdAt).toBe("number");
    }
    const response = await run(wf, "in", { sessionId: "s-1" });
    expect(response).toMatchObject({
      sessionId: "s-1",
      workflowId: "stamp-me",
      status: "completed",
    });
    expect(response.runId).not.toBe(runId);
  });

  it("run() resolves the final RunResponse with status completed", async () => {
    const response = await run(style.make(items), "in");
    expect(response).toBeInstanceOf(RunResponse);
    expect(response.content).toBe("Hello, world");
    expect(response.status).toBe("completed");
    expect(response.metrics.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("on failure yields WorkflowError, then rejects with the original error", async () => {
    const boom = new Error("boom");
    let cleaned = false;
    const { events, error } = await collect(
      execute(
        style.make(items, boom, () => {
          cleaned = true;
        }),
        "in",
      ),
    );
    expect(error).toBe(boom);
    expect(cleaned).toBe(true);
    const last = events.at(-1);
    expect(last).toMatchObject({
      event: "WorkflowError",
      error: "boom",
      errorName: "Error",
      runId: events[0]?.runId,
    });
    await expect(run(style.make(items, boom), "in")).rejects.toBe(boom);
  });

  it("runs nothing until iterated", async () => {
    let calls = 0;
    const make = style.make(items);
    const stream = execute((ctx: WorkflowContext, input: string) => {
      calls++;
      return make(ctx, input);
    }, "in");
    await Promise.resolve();
    expect(calls).toBe(0);
    await collect(stream);
    expect(calls).toBe(1);
    await collect(stream); // each iteration is a new run
    expect(calls).toBe(2);
  });

  it("an aborted signal ends with WorkflowCancelled, then an AbortError", async () => {
    const controller = new AbortController();
    controller.abort();
    const { events, error } = await collect(
      execute(style.make(items), "in", { signal: controller.signal }),
    );
    expect(events.map((e) => e.event)).toEqual(["WorkflowStarted", "WorkflowCancelled"]);
    expect(error).toMatchObject({ name: "AbortError" });
  });

  it("warns about values that are neither content nor events, and ignores them", async () => {
    const logger = captureLogger();
    const odd = [42, "ok"] as unknown as WorkflowItem[];
    const make: WorkflowFn<string> = style.single
      ? () => 42 as unknown as RunResponse
      : style.make(odd);
    const response = await run(make, "in", { logger });
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toMatch(/a number, which is neither content nor an event/);
    expect(response.content).toBe(style.single ? undefined : "ok");
  });
});

describe("a generator's returned value", () => {
  it("is the final content, in place of what it yielded, and is not streamed as a delta", async () => {
    const asyncGen = async function* () {
      yield "draft ";
      return "final text";
    };
    const syncGen = function* () {
      yield "draft ";
      return new RunResponse({ content: { title: "final" } });
    };
    const a = await collect(execute(asyncGen, undefined));
    expect(a.events.filter((e) => e.event === "RunResponseContent")).toHaveLength(1);
    expect(a.events.at(-1)).toMatchObject({ event: "WorkflowCompleted", content: "final text" });
    const s = await run(syncGen, undefined);
    expect(s.content).toEqual({ title: "final" });
    // Returning nothing keeps what was yielded.
    const none = await run(async function* () {
      yield "kept";
      return;
    }, undefined);
    expect(none.content).toBe("kept");
  });
});
