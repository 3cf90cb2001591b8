/** An async workflow: awaits an agent and returns one RunResponse. */
import { agent, defineWorkflow, RunResponse, run } from "buddy-ai";
import { exampleModel } from "./support/example-model.js";

const writer = agent({
  name: "writer",
  model: exampleModel([
    {
      text: "Batteries store chemistry and give it back as current.",
      usage: { inputTokens: 9, outputTokens: 10 },
    },
  ]),
});

const asyncWorkflow = defineWorkflow(async function asyncWorkflow(ctx, topic: string) {
  const response = await writer.run(`Write about ${topic}`, ctx);
  return new RunResponse({ content: response.content });
});

const result = await run(asyncWorkflow, "batteries");
console.log(result.content);
console.log(`status: ${result.status}, tokens: ${result.metrics.totalTokens ?? 0}`);
