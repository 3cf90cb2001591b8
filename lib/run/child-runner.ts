import type { WorkflowContext } from "../workflow/workflow-context.js";
import { drainToResponse } from "./drain.js";
import type { ParentRun } from "./run-link.js";
import { runWorkflow } from "./run-workflow.js";
import { toWorkflow } from "./to-workflow.js";
import { WorkflowStream } from "./workflow-stream.js";

/** `ctx.run` and `ctx.stream`: child runs in the parent's session, sharing its state object. */
export function childRunner(parent: () => ParentRun): Pick<WorkflowContext, "run" | "stream"> {
  const stream: WorkflowContext["stream"] = (child, input) => {
    const workflow = toWorkflow(child);
    return new WorkflowStream(() => {
      const link = parent();
      return runWorkflow(workflow, input, {
        sessionId: link.sessionId,
        sessionName: undefined,
        userId: link.userId,
        sessionState: undefined,
        overwriteSessionState: false,
        storage: undefined,
        signal: link.signal,
        extraData: undefined,
        historyLimit: link.historyLimit,
        logger: link.logger,
        debug: link.debug,
        parent: link,
      });
    });
  };
  return { stream, run: (child, input) => drainToResponse(stream(child, input)) };
}
