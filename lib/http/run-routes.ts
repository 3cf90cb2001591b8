import { InputValidationError } from "../errors.js";
import { execute } from "../run/execute.js";
import { newRunId } from "../run/ids.js";
import { resume } from "../run/resume.js";
import { checkSessionField } from "../session/session-fields.js";
import { withIncomingTrace } from "../tracing/incoming.js";
import { validateInput } from "../workflow/validate-input.js";
import type { HandlerContext } from "./handler.js";
import { HttpError, json, readJsonObject } from "./http-answers.js";
import type { LiveRun, RunEnding } from "./live-run.js";
import { eventText, sseBody, sseHeaders } from "./sse.js";

/** `POST /runs`: starts a run that keeps running (and logging) whoever listens. */
export async function startRun(context: HandlerContext, request: Request): Promise<Response> {
  const body = await readJsonObject(request, context.maxBodyBytes);
  const { workflowId, input } = body;
  if (typeof workflowId !== "string") {
    throw new HttpError(400, 'The body needs "workflowId": the id of a workflow to run');
  }
  const workflow = context.workflows.get(workflowId);
  if (workflow === undefined) throw new HttpError(404, `There is no workflow "${workflowId}"`);
  const sessionId =
    body.sessionId === undefined ? undefined : checkSessionField("sessionId", body.sessionId);
  const runId = body.runId === undefined ? newRunId() : checkSessionField("runId", body.runId);
  if (runId.includes("/")) throw new HttpError(400, 'A runId cannot hold "/"');
  if (workflow.input !== undefined) {
    try {
      await validateInput(workflow.name, workflow.input, input);
    } catch (error) {
      if (error instanceof InputValidationError) {
        throw new HttpError(422, `Invalid input for workflow "${workflowId}"`, error.issues);
      }
      throw error;
    }
  }
  const { storage, logger } = context;
  // A request that carries a `traceparent` gets the run's span in its trace.
  const live =
    context.live.get(runId) ??
    (await withIncomingTrace(request.headers, () =>
      context.live.start(runId, (signal) =>
        execute(workflow, input, { storage, sessionId, runId, signal, logger, eventLog: true }),
      ),
    ));
  return answer(context, request, live);
}

/** `POST /runs/:runId/resume`: continues a suspended run with `{ payloads }`. */
export async function resumeRun(
  context: HandlerContext,
  request: Request,
  runId: string,
): Promise<Response> {
  const { payloads } = await readJsonObject(request, context.maxBodyBytes);
  if (typeof payloads !== "object" || payloads === null || Array.isArray(payloads)) {
    throw new HttpError(
      400,
      'The body needs "payloads": the answers by wait name, e.g. { "approval": true }',
    );
  }
  const { storage, logger } = context;
  const run = await storage.getRun(runId);
  if (run === undefined || run.parentRunId !== undefined) {
    throw new HttpError(404, `There is no run "${runId}"`);
  }
  if (run.status !== "suspended") {
    throw new HttpError(
      409,
      `Run "${runId}" is ${run.status}, not suspended: there is nothing to resume`,
    );
  }
  const workflow = context.workflows.get(run.workflowId);
  if (workflow === undefined) {
    throw new HttpError(
      404,
      `There is no workflow "${run.workflowId}" here to continue run "${runId}"`,
    );
  }
  const answers = payloads as Record<string, unknown>;
  const live = await withIncomingTrace(request.headers, () =>
    context.live.start(runId, (signal) =>
      resume(workflow, runId, answers, { storage, signal, logger, eventLog: true }),
    ),
  );
  return answer(context, request, live);
}

/** `POST /runs/:runId/cancel`: cancels a run here, or asks its process through the store. */
export async function cancelRun(context: HandlerContext, runId: string): Promise<Response> {
  const live = context.live.get(runId);
  if (live !== undefined && !live.done) {
    live.cancel("Cancelled on request");
    return json({ cancelled: true }, 202);
  }
  const { storage } = context;
  const asked = await storage.requestCancel?.(runId, "Cancelled on request");
  if (asked === "requested") return json({ cancelled: true }, 202);
  if (asked === "cancelled") return json({ cancelled: true });
  const run = await storage.getRun(runId);
  if (run === undefined || run.parentRunId !== undefined) {
    throw new HttpError(404, `There is no run "${runId}"`);
  }
  throw new HttpError(409, `Run "${runId}" is ${run.status}: it cannot be cancelled`);
}

/** The run as an event stream when the client accepts one, else its outcome as JSON. */
async function answer(context: HandlerContext, request: Request, live: LiveRun): Promise<Response> {
  if ((request.headers.get("accept") ?? "").includes("text/event-stream")) {
    return new Response(sseBody(live.follow(0), eventText, context.keepAliveMs), {
      headers: sseHeaders,
    });
  }
  return outcome(await live.ended, live.failure);
}

/** A run's ending as its JSON answer. */
function outcome(ending: RunEnding | Error, failure: unknown): Response {
  if (ending instanceof Error) throw ending;
  switch (ending.event) {
    case "WorkflowCompleted":
      return json(ending.response);
    case "WorkflowSuspended":
      if (failure instanceof InputValidationError) {
        // A resume whose answer its wait's schema refused: the run still waits.
        throw new HttpError(422, failure.message, failure.issues);
      }
      return json({ ...ending.response, waitingFor: ending.waitingFor }, 202);
    case "WorkflowCancelled":
      return json({ error: ending.reason, runId: ending.runId }, 409);
    default:
      return json({ error: ending.error, runId: ending.runId }, errorStatus(ending.errorName));
  }
}

function errorStatus(name: string): number {
  switch (name) {
    case "SessionBusyError":
    case "RunIdConflictError":
    case "RunNotSuspendedError":
    case "RunNotRunningError":
      return 409;
    case "InputValidationError":
      return 422;
    case "StorageUnavailableError":
      return 503;
    default:
      return 500;
  }
}
