import { defineWorkflow, isWorkflow } from "../workflow/define-workflow.js";
import type { SessionState, Workflow, WorkflowLike } from "../workflow/workflow.js";

const defined = new WeakMap<object, Workflow>();

/** A defined workflow as it is; a bare function defined once (name from the function). */
export function toWorkflow<In, S extends SessionState>(workflow: WorkflowLike<In, S>): Workflow {
  if (isWorkflow(workflow)) return workflow as unknown as Workflow;
  if (typeof workflow !== "function") {
    throw new TypeError(
      "Expected a workflow: pass a function (ctx, input) => … or the result of defineWorkflow(…)",
    );
  }
  let found = defined.get(workflow);
  if (found === undefined) {
    found = defineWorkflow(workflow as unknown as Workflow["run"]);
    defined.set(workflow, found);
  }
  return found;
}
