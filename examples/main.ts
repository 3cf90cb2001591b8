/**
 * The main job: `npm start`. A workflow that needs no model streams its events as they arrive.
 */
import { defineWorkflow, execute, RunEvent } from "buddy-ai";

const countdown = defineWorkflow({
  name: "countdown",
  description: "Counts down, then lifts off.",
  async *run(ctx, from: number) {
    for (let n = from; n > 0; n--) {
      yield `${n}… `;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    ctx.sessionState.launched = true;
    yield "lift-off!";
  },
});

for await (const event of execute(countdown, 5)) {
  switch (event.event) {
    case RunEvent.WorkflowStarted:
      console.log(`▶ ${event.workflowName} (run ${event.runId})`);
      break;
    case RunEvent.RunResponseContent:
      process.stdout.write(String(event.content));
      break;
    case RunEvent.WorkflowCompleted:
      console.log(`\n✔ completed: "${String(event.content)}"`);
      break;
  }
}
