/**
 * Streaming by yielding: the writer's draft is yielded as a RunResponse, then the workflow ends the
 * run with its own WorkflowCompleted (whose content is never appended twice).
 */
import { agent, defineWorkflow, execute, RunResponse, workflowCompleted } from "buddy-ai";
import { exampleModel, lastPrompt } from "./support/example-model.js";

const writer = agent({
  name: "writer",
  model: exampleModel([(request) => ({ text: `A short piece: ${lastPrompt(request.messages)}.` })]),
});

const streamingWorkflow = defineWorkflow(async function* streamingWorkflow(ctx, topic: string) {
  const draft = (await writer.run(`Write about ${topic}`, ctx)).content;
  yield new RunResponse({ content: draft });
  yield workflowCompleted({ content: draft });
});

for await (const event of execute(streamingWorkflow, "fusion energy")) {
  if (event.event === "RunResponseContent" || event.event === "WorkflowCompleted") {
    console.log(`${event.event}: ${String(event.content)}`);
  }
}
