import {
  agent,
  defineWorkflow,
  execute,
  InputValidationError,
  NonDeterminismError,
  RunNotSuspendedError,
  recoverRuns,
  resume,
  run,
  tool,
  UnstorableValueError,
  WaitTimeoutError,
  type WorkflowEvent,
  type WorkflowStorage,
  type WorkflowStream,
} from "buddy-ai";
import { scriptedModel } from "buddy-ai/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { settle } from "../session/conformance-support.js";
import { type StoreHandle, storeFactories } from "../support/stores.js";

const quiet = { warn: () => {}, debug: () => {} };

async function collect(stream: WorkflowStream): Promise<WorkflowEvent[]> {
  const events: WorkflowEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe.each(storeFactories)("suspend and resume: $name", (factory) => {
  let handle: StoreHandle;
  let storage: WorkflowStorage;
  let counts: { quote: number; pay: number };
  beforeEach(async () => {
    handle = await factory.create();
    storage = handle.storage;
    counts = { quote: 0, pay: 0 };
  });
  afterEach(async () => {
    await handle.cleanup();
  });

  const refund = defineWorkflow({
    name: "refund",
    async *run(ctx, order: { id: string; amount: number }) {
      const quote = await ctx.step("quote", () => {
        counts.quote++;
        return { total: order.amount };
      });
      yield `quote ${quote.total}\n`;
      ctx.sessionState.quotes = Number(ctx.sessionState.quotes ?? 0) + 1;
      const answer = await ctx.waitFor("approval", {
        schema: z.object({ approved: z.boolean() }),
        prompt: quote,
      });
      if (!answer.approved) return;
      await ctx.step("pay", () => {
        counts.pay++;
        return "paid";
      });
      yield "refunded";
    },
  });

  it("suspends, frees the session, and resumes from another store without re-running a step", async () => {
    const events = await collect(
      execute(refund, { id: "o1", amount: 12 }, { storage, sessionId: "u" }),
    );
    const last = events.at(-1);
    expect(last).toMatchObject({
      event: "WorkflowSuspended",
      waitingFor: [{ name: "approval", prompt: { total: 12 } }],
      content: "quote 12\n",
    });
    const runId = last?.runId ?? "";
    expect((await storage.getRun(runId))?.status).toBe("suspended");
    // State changes before the wait are not saved yet; the session is free at once.
    expect((await storage.readSession("u"))?.sessionState).toEqual({});
    const other = await run(async () => "meanwhile", undefined, { storage, sessionId: "u" });
    expect(other.status).toBe("completed");

    // What it waits for is listed, for whoever answers.
    expect(await storage.listSuspendedRuns({ sessionId: "u" })).toEqual([
      {
        run: expect.objectContaining({ runId, status: "suspended" }),
        waitingFor: [{ name: "approval", prompt: { total: 12 } }],
      },
    ]);
    const elsewhere = handle.open();
    const resumed = await collect(
      resume(refund, runId, { approval: { approved: true } }, { storage: elsewhere }),
    );
    expect(resumed.map((e) => e.event)).toEqual([
      "WorkflowStarted",
      "StepStarted",
      "StepCompleted",
      "RunResponseContent",
      "WorkflowCompleted",
    ]);
    expect(resumed.at(-1)).toMatchObject({ content: "quote 12\nrefunded" });
    expect(counts).toEqual({ quote: 1, pay: 1 });
    expect(await storage.listSuspendedRuns()).toEqual([]);
    expect((await storage.readSession("u"))?.sessionState).toEqual({ quotes: 1 });
    expect((await storage.listSteps(runId)).map((s) => [s.name, s.kind])).toEqual([
      ["quote", "step"],
      ["approval", "wait"],
      ["pay", "step"],
    ]);
    const again = await settle(
      collect(resume(refund, runId, { approval: { approved: true } }, { storage })),
    );
    expect(again.error).toBeInstanceOf(RunNotSuspendedError);
  });

  it("is saved suspended when the consumer stops at a step streamed as the run suspends", async () => {
    const note = defineWorkflow({
      name: "note",
      run: async (ctx) => {
        await ctx.step("draft", () => "draft 1");
        await ctx.waitFor("go");
        return "sent";
      },
    });
    let runId = "";
    const seen: string[] = [];
    for await (const event of execute(note, undefined, { storage, sessionId: "n" })) {
      runId = event.runId;
      seen.push(event.event);
      if (event.event === "StepCompleted") break;
    }
    expect(seen).toEqual(["WorkflowStarted", "StepStarted", "StepCompleted"]);
    // It had ended (suspended) before those events came: stopping there does not cancel it.
    expect((await storage.getRun(runId))?.status).toBe("suspended");
    const other = await run(async () => "meanwhile", undefined, { storage, sessionId: "n" });
    expect(other.status).toBe("completed");
    const resumed = await collect(resume(note, runId, { go: true }, { storage }));
    expect(resumed.at(-1)).toMatchObject({ event: "WorkflowCompleted", content: "sent" });
  });

  it("fails a run whose wait cannot be saved, records it, and frees the session", async () => {
    class Quote {
      total = 12;
    }
    const ask = defineWorkflow({
      name: "ask",
      async *run(ctx) {
        yield "asking ";
        await ctx.waitFor("approval", { prompt: new Quote() });
      },
    });
    const events: WorkflowEvent[] = [];
    const outcome = await settle(
      (async () => {
        for await (const event of execute(ask, undefined, {
          storage,
          sessionId: "q",
          logger: quiet,
        }))
          events.push(event);
      })(),
    );
    expect(outcome.error).toBeInstanceOf(UnstorableValueError);
    expect(events.map((e) => e.event)).toEqual([
      "WorkflowStarted",
      "RunResponseContent",
      "WorkflowError",
    ]);
    const runId = events[0]?.runId ?? "";
    expect(await storage.getRun(runId)).toMatchObject({ status: "error" });
    expect((await storage.getRun(runId))?.error).toContain("waitingFor[0].prompt");
    const other = await run(async () => "meanwhile", undefined, { storage, sessionId: "q" });
    expect(other.status).toBe("completed");
  });

  it("streams a suspended run's WorkflowSuspended again for a start with its runId", async () => {
    const options = { storage, sessionId: "k", runId: "refund-k1" };
    const first = await run(refund, { id: "k1", amount: 3 }, options);
    expect(first.status).toBe("suspended");
    const again = await collect(execute(refund, { id: "k1", amount: 3 }, options));
    expect(again.map((e) => e.event)).toEqual(["WorkflowStarted", "WorkflowSuspended"]);
    expect(again.at(-1)).toMatchObject({
      runId: "refund-k1",
      waitingFor: [{ name: "approval", prompt: { total: 3 } }],
      content: "quote 3\n",
    });
    expect((await run(refund, { id: "k1", amount: 3 }, options)).status).toBe("suspended");
    expect(counts).toEqual({ quote: 1, pay: 0 });
  });

  it("journals what a child run started beside a wait before the run suspends: no step runs twice", async () => {
    let calls = 0;
    const slow = () => new Promise<number>((resolve) => setTimeout(() => resolve(++calls), 30));
    // A child that waits beside a step; a parent that waits beside a child.
    const asks = defineWorkflow({
      name: "asks",
      run: async (ctx) => {
        const [n] = await Promise.all([ctx.step("count", slow), ctx.waitFor("go")]);
        return `child ${n}`;
      },
    });
    const counts = defineWorkflow({
      name: "counts",
      run: async (ctx) => `child ${await ctx.step("count", slow)}`,
    });
    for (const [name, parent] of [
      [
        "child waits",
        defineWorkflow({
          name: "parent1",
          run: async (ctx) => String((await ctx.run(asks, undefined)).content),
        }),
      ],
      [
        "parent waits",
        defineWorkflow({
          name: "parent2",
          run: async (ctx) => {
            const [child] = await Promise.all([ctx.run(counts, undefined), ctx.waitFor("go")]);
            return String(child.content);
          },
        }),
      ],
    ] as const) {
      calls = 0;
      const first = await run(parent, undefined, { storage, sessionId: `c-${name}` });
      expect(first.status).toBe("suspended");
      expect(calls).toBe(1);
      const resumed = await collect(resume(parent, first.runId, { go: true }, { storage }));
      expect(resumed.at(-1)).toMatchObject({ event: "WorkflowCompleted", content: "child 1" });
      expect({ name, calls }).toEqual({ name, calls: 1 });
    }
  });

  it("refuses a bad payload with InputValidationError; the run stays suspended", async () => {
    const first = await run(refund, { id: "o2", amount: 5 }, { storage, sessionId: "v" });
    expect(first.status).toBe("suspended");
    const bad = await settle(
      collect(resume(refund, first.runId, { approval: { approved: "yes" } }, { storage })),
    );
    expect(bad.error).toBeInstanceOf(InputValidationError);
    expect((await storage.getRun(first.runId))?.status).toBe("suspended");
    const refused = await collect(
      resume(refund, first.runId, { approval: { approved: false } }, { storage }),
    );
    expect(refused.at(-1)).toMatchObject({ event: "WorkflowCompleted", content: "quote 5\n" });
    expect(counts).toEqual({ quote: 1, pay: 0 });
  });

  it("lets exactly one of two concurrent resumes proceed", async () => {
    const first = await run(refund, { id: "o3", amount: 7 }, { storage, sessionId: "w" });
    const outcomes = await Promise.all(
      [storage, handle.open()].map((store) =>
        settle(
          collect(
            resume(refund, first.runId, { approval: { approved: true } }, { storage: store }),
          ),
        ),
      ),
    );
    const failed = outcomes.filter((o) => o.error !== undefined);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.error).toBeInstanceOf(RunNotSuspendedError);
    expect(counts.pay).toBe(1);
    expect((await storage.getRun(first.runId))?.status).toBe("completed");
  });

  it("fails a resume whose workflow changed before its wait with NonDeterminismError", async () => {
    const first = await run(refund, { id: "o4", amount: 9 }, { storage, sessionId: "x" });
    const changed = defineWorkflow({
      name: "refund",
      run: async (ctx) => {
        await ctx.step("estimate", () => 1);
        return "changed";
      },
    });
    const { error } = await settle(
      collect(
        resume(changed, first.runId, { approval: { approved: true } }, { storage, logger: quiet }),
      ),
    );
    expect(error).toBeInstanceOf(NonDeterminismError);
    expect((await storage.listSteps(first.runId)).map((s) => s.name)).toEqual(["quote"]);
  });

  it.each([
    [{ approved: true }, "refunded o9", "Done: refunded o9."],
    [
      { approved: false, reason: "too much" },
      "A person refused this tool call: too much",
      "Not done.",
    ],
  ])("a tool that needs approval, answered %j", async (answer, toolResult, final) => {
    let executed = 0;
    const refundTool = tool({
      name: "refund",
      description: "Refunds an order",
      parameters: z.object({ orderId: z.string() }),
      needsApproval: true,
      execute: async ({ orderId }) => {
        executed++;
        return `refunded ${orderId}`;
      },
    });
    const model = scriptedModel([
      { toolCalls: [{ name: "refund", args: { orderId: "o9" }, id: "call-1" }] },
      (request) => ({
        text:
          request.messages.at(-1)?.content === "refunded o9" ? "Done: refunded o9." : "Not done.",
      }),
    ]);
    const helper = agent({ name: "helper", model, tools: [refundTool] });
    const support = defineWorkflow(async function support(ctx) {
      return (await helper.run("Refund order o9", ctx)).content;
    });
    const first = await collect(execute(support, undefined, { storage, sessionId: "z" }));
    expect(first.at(-1)).toMatchObject({
      event: "WorkflowSuspended",
      waitingFor: [
        { name: "approve:call-1", prompt: { toolName: "refund", args: { orderId: "o9" } } },
      ],
    });
    expect(model.calls).toHaveLength(1);
    expect(executed).toBe(0);
    const runId = first[0]?.runId ?? "";
    const resumed = await collect(
      resume(support, runId, { "approve:call-1": answer }, { storage }),
    );
    expect(resumed.at(-1)).toMatchObject({ event: "WorkflowCompleted", content: final });
    // The model was not asked again for the turn that asked for the tool.
    expect(model.calls).toHaveLength(2);
    expect(model.calls[1]?.messages.at(-1)).toMatchObject({ role: "tool", content: toolResult });
    expect(executed).toBe(answer.approved ? 1 : 0);
  });

  it("a wait that times out: recoverRuns continues the run, and the wait fails with WaitTimeoutError", async () => {
    const patient = defineWorkflow({
      name: "patient",
      run: async (ctx) => {
        try {
          const answer = await ctx.waitFor<string>("reply", { timeoutMs: 300, prompt: "anyone?" });
          return `answered: ${answer}`;
        } catch (error) {
          if (error instanceof WaitTimeoutError) return "nobody answered";
          throw error;
        }
      },
    });
    const first = await run(patient, undefined, { storage, sessionId: "t" });
    expect(first.status).toBe("suspended");
    const [listed] = await storage.listSuspendedRuns({ sessionId: "t" });
    expect(listed?.waitingFor[0]?.deadline).toBeGreaterThan(Date.now());
    expect(await recoverRuns({ storage, workflows: [patient] })).toEqual([]); // not due yet
    await new Promise((resolve) => setTimeout(resolve, 350));
    const [woken] = await recoverRuns({ storage, workflows: [patient] });
    expect(woken).toMatchObject({
      runId: first.runId,
      status: "completed",
      content: "nobody answered",
    });
    expect((await storage.listSteps(first.runId)).map((s) => [s.name, s.status])).toEqual([
      ["reply", "error"],
    ]);
  });

  it("suspends on two waits at once, and again until both are answered", async () => {
    const both = defineWorkflow({
      name: "both",
      run: async (ctx) => {
        const [a, b] = await Promise.all([
          ctx.waitFor<string>("legal", { prompt: "legal ok?" }),
          ctx.waitFor<string>("finance", { prompt: "finance ok?" }),
        ]);
        return `${a} + ${b}`;
      },
    });
    const first = await run(both, undefined, { storage, sessionId: "y" });
    expect(first.status).toBe("suspended");
    const one = await collect(resume(both, first.runId, { legal: "yes" }, { storage }));
    expect(one.at(-1)).toMatchObject({
      event: "WorkflowSuspended",
      waitingFor: [{ name: "finance", prompt: "finance ok?" }],
    });
    const two = await collect(resume(both, first.runId, { finance: "fine" }, { storage }));
    expect(two.at(-1)).toMatchObject({ event: "WorkflowCompleted", content: "yes + fine" });
  });
});
