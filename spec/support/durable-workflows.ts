/**
 * The durable workflows of the durable-run specs, shared by the spec and its worker process (a
 * recovered run must be the same workflow, by id). Each step appends its name to `log` (one
 * line per execution) and, at step `killAt`, kills its own process before returning: a crash
 * inside that step, after the steps before it were journaled.
 */
import { appendFileSync } from "node:fs";
import { agent, defineWorkflow, type Model, tool, type WorkflowContext } from "buddy-ai";
import { z } from "zod";

export interface DurableInput {
  readonly log: string;
  /** The step (0-based) in which the process kills itself; -1 for none. */
  readonly killAt: number;
}

const names = ["reserve", "charge", "notify"] as const;

async function step(ctx: WorkflowContext, i: number, input: DurableInput): Promise<string> {
  const name = names[i] as string;
  return ctx.step(name, async ({ attempt }) => {
    appendFileSync(input.log, `${name}\n`);
    if (i === input.killAt && process.env.BUDDY_DURABLE_WORKER === "1") {
      process.kill(process.pid, "SIGKILL");
      await new Promise(() => {});
    }
    return `${name}#${attempt}`;
  });
}

/** Three steps, content streamed around them, state changed along the way. */
export const durableGenerator = defineWorkflow({
  name: "durable-generator",
  async *run(ctx, input: DurableInput) {
    ctx.sessionState.started = true;
    for (let i = 0; i < 3; i++) {
      const done = await step(ctx, i, input);
      yield `${done}; `;
    }
    ctx.sessionState.done = 3;
  },
});

/** The same steps in an async function returning its content. */
export const durableAsync = defineWorkflow({
  name: "durable-async",
  run: async (ctx, input: DurableInput) => {
    const parts: string[] = [];
    for (let i = 0; i < 3; i++) parts.push(await step(ctx, i, input));
    ctx.sessionState.done = 3;
    return parts.join("; ");
  },
});

/**
 * Journals a step, then (in a worker) says `stalled` and stops its own process (SIGSTOP) until
 * continued; then journals a second step.
 */
export const durableStall = defineWorkflow({
  name: "durable-stall",
  run: async (ctx, input: DurableInput) => {
    await step(ctx, 0, input);
    if (process.env.BUDDY_DURABLE_WORKER === "1") {
      process.stdout.write("stalled\n");
      process.kill(process.pid, "SIGSTOP");
    }
    await step(ctx, 1, input);
    return "both steps";
  },
});

/** The model of `durableAgent` in this process (each process scripts its own). */
export const agentModel: { current?: Model } = {};

/**
 * An agent given `ctx`: its model turns and tool results are journaled. Its tool appends
 * `lookup` to the log and, with `killAt` 0 in a worker, kills the process inside the tool.
 */
export const durableAgent = defineWorkflow({
  name: "durable-agent",
  run: async (ctx, input: DurableInput) => {
    const lookup = tool({
      name: "lookup",
      description: "Looks an order up",
      parameters: z.object({ id: z.string() }),
      execute: async ({ id }) => {
        appendFileSync(input.log, "lookup\n");
        if (input.killAt === 0 && process.env.BUDDY_DURABLE_WORKER === "1") {
          process.kill(process.pid, "SIGKILL");
          await new Promise(() => {});
        }
        return `order ${id}: shipped`;
      },
    });
    const model = agentModel.current;
    if (model === undefined) throw new Error("no model scripted in this process");
    const helper = agent({ name: "helper", model, tools: [lookup] });
    return (await helper.run("Where is order 7?", ctx)).content;
  },
});

/** A step, a wait for approval, a step: each step appends its name to the log. */
export const durableApproval = defineWorkflow({
  name: "durable-approval",
  async *run(ctx, input: DurableInput) {
    const quote = await ctx.step("quote", () => {
      appendFileSync(input.log, "quote\n");
      return 12;
    });
    yield `quote ${quote}; `;
    const answer = await ctx.waitFor<{ approved: boolean }>("approval", { prompt: quote });
    if (!answer.approved) return;
    yield await ctx.step("pay", () => {
      appendFileSync(input.log, "pay\n");
      return "paid";
    });
  },
});

export const durableWorkflows = [
  durableGenerator,
  durableAsync,
  durableStall,
  durableAgent,
  durableApproval,
];
