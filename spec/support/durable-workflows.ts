/**
 * The durable workflows of the durable-run specs, shared by the spec and its worker process (a
 * recovered run must be the same workflow, by id). Each step appends its name to `log` (one
 * line per execution: its side effect) and, in a worker process, step `killAt` kills its own
 * process at its `boundary`.
 */
import { appendFileSync } from "node:fs";
import {
  agent,
  defineWorkflow,
  type Model,
  RunResponse,
  tool,
  type WorkflowContext,
} from "buddy-ai";
import { z } from "zod";

/**
 * Where a step's process dies: at the start of the step, before its side effect (`"start"`);
 * inside it, after its side effect but before its result is journaled (`"inside"`); or right
 * after `ctx.step` resolved, its row journaled (`"after"`).
 */
export type Boundary = "start" | "inside" | "after";

export interface DurableInput {
  readonly log: string;
  /** The step (0-based) at which the process kills itself; -1 for none. */
  readonly killAt: number;
  /** Where in step `killAt`; `"inside"` when not given. */
  readonly boundary?: Boundary;
}

export const stepNames = ["reserve", "charge", "notify"] as const;

function killedAt(input: DurableInput, i: number, boundary: Boundary): boolean {
  return (
    i === input.killAt &&
    (input.boundary ?? "inside") === boundary &&
    process.env.BUDDY_DURABLE_WORKER === "1"
  );
}

function die(): never {
  process.kill(process.pid, "SIGKILL");
  throw new Error("SIGKILL was not delivered");
}

/** Starts step `i`: `ctx.step` resolves its result once journaled. */
function startStep(ctx: WorkflowContext, i: number, input: DurableInput): Promise<string> {
  const name = stepNames[i] as string;
  return ctx.step(name, ({ attempt }) => {
    if (killedAt(input, i, "start")) die();
    appendFileSync(input.log, `${name}\n`);
    if (killedAt(input, i, "inside")) die();
    return `${name}#${attempt}`;
  });
}

/** Step `i`'s result, once `ctx.step` resolved it (where the `"after"` boundary dies). */
function finished(input: DurableInput, i: number, result: string): string {
  if (killedAt(input, i, "after")) die();
  return result;
}

async function step(ctx: WorkflowContext, i: number, input: DurableInput): Promise<string> {
  return finished(input, i, await startStep(ctx, i, input));
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
 * The same steps from a synchronous function, which cannot await: it starts the first step, each
 * step's result starts the next one, and the results go to the state. It returns its content at
 * once (a RunResponse); the run settles the steps it started before it saves.
 */
export const durableValue = defineWorkflow({
  name: "durable-value",
  run: (ctx, input: DurableInput) => {
    const state = ctx.sessionState;
    state.started = true;
    const from = (i: number): void => {
      if (i === stepNames.length) return;
      void startStep(ctx, i, input).then((result) => {
        state[stepNames[i] as string] = finished(input, i, result);
        from(i + 1);
      });
    };
    from(0);
    return new RunResponse({ content: "reserve, then charge, then notify" });
  },
});

/**
 * The same steps from a synchronous generator: it starts them together (their positions are
 * taken in call order) and yields a line for each; each result goes to the state once journaled.
 */
export const durableSyncGenerator = defineWorkflow({
  name: "durable-sync-generator",
  *run(ctx, input: DurableInput) {
    const state = ctx.sessionState;
    state.started = true;
    for (const [i, name] of stepNames.entries()) {
      void startStep(ctx, i, input).then((result) => {
        state[name] = finished(input, i, result);
      });
      yield `${name} started; `;
    }
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
  durableValue,
  durableSyncGenerator,
  durableStall,
  durableAgent,
  durableApproval,
];
