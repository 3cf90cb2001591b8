/**
 * The durable workflows of the durable-run specs, shared by the spec and its worker process (a
 * recovered run must be the same workflow, by id). Each step appends its name to `log` (one
 * line per execution) and, at step `killAt`, kills its own process before returning: a crash
 * inside that step, after the steps before it were journaled.
 */
import { appendFileSync } from "node:fs";
import { defineWorkflow, type WorkflowContext } from "buddy-ai";

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

export const durableWorkflows = [durableGenerator, durableAsync, durableStall];
