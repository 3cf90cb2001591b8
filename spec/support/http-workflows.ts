/**
 * The workflows of the HTTP specs, shared by the spec and its worker processes (a run recovered
 * elsewhere must be the same workflow, by id).
 */
import { defineWorkflow } from "buddy-ai";
import { z } from "zod";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface StoryInput {
  readonly tokens: number;
  readonly delayMs: number;
}

/** Streams `tokens` tokens, each made in a journaled step after `delayMs`. */
export const story = defineWorkflow({
  name: "story",
  async *run(ctx, input: StoryInput) {
    for (let i = 0; i < input.tokens; i++) {
      yield await ctx.step(`token-${i}`, async () => {
        await sleep(input.delayMs);
        return `t${i} `;
      });
    }
  },
});

/** Greets a name; its input is checked. */
export const greet = defineWorkflow({
  name: "greet",
  input: z.object({ name: z.string().min(1) }),
  run: async (_ctx, input) => `Hello, ${input.name}!`,
});

/** Waits for an approval, then says what it got. */
export const approval = defineWorkflow({
  name: "approval",
  async *run(ctx, _input: unknown) {
    yield "asking; ";
    const answer = await ctx.waitFor("approval", {
      prompt: "ok?",
      schema: z.object({ ok: z.boolean() }),
    });
    yield `answer: ${answer.ok ? "yes" : "no"}`;
  },
});

export const httpWorkflows = [story, greet, approval];
