import { AbortError, InvalidOptionError, LeaseLostError } from "../errors.js";
import { validateInput } from "../workflow/validate-input.js";
import type { Workflow } from "../workflow/workflow.js";
import { ContentAccumulator, type ContentStep } from "./content-accumulator.js";
import { newRunId, newSessionId } from "./ids.js";
import { aborted, RunCancellation } from "./run-cancellation.js";
import { RunContext } from "./run-context.js";
import type { WorkflowEvent } from "./run-event.js";
import type { RunSettings } from "./run-link.js";
import { RunRecorder } from "./run-recorder.js";
import { RunResponse } from "./run-response.js";
import { Suspension } from "./run-wait.js";
import { openSession } from "./session-binding.js";
import { storedTerminal } from "./stored-terminal.js";
import { closeWorkflowSource, toWorkflowSource, type WorkflowSource } from "./workflow-source.js";

/**
 * One run of a workflow as an async generator of events: the whole lifecycle (start, input
 * validation, session load, the workflow's own items, save, terminal event) in one native stage.
 */
export async function* runWorkflow(
  workflow: Workflow,
  input: unknown,
  settings: RunSettings,
): AsyncGenerator<WorkflowEvent, void, undefined> {
  const { parent, logger } = settings;
  const runId = parent?.nextChildRunId() ?? settings.runId ?? newRunId();
  const sessionId = settings.sessionId ?? newSessionId();
  const workflowId = workflow.id;
  const parentRunId = parent?.runId;
  const ids =
    parentRunId === undefined
      ? { runId, sessionId, workflowId }
      : { runId, sessionId, workflowId, parentRunId };
  const response = new RunResponse({
    runId,
    sessionId,
    workflowId,
    parentRunId,
    input,
    extraData: settings.extraData,
  });
  const cancellation = new RunCancellation(settings.signal);
  const recorder = new RunRecorder(response, parent, settings.extraData, logger);
  let source: WorkflowSource | undefined;
  let ctx: RunContext | undefined;
  let content: ContentAccumulator | undefined;
  let ended = false;

  try {
    yield {
      event: "WorkflowStarted",
      runId,
      sessionId,
      workflowId,
      parentRunId,
      createdAt: Date.now(),
      workflowName: workflow.name,
    };
    checkSettings(settings);
    const parsed =
      workflow.input === undefined
        ? input
        : await validateInput(workflow.name, workflow.input, input);
    const opening = openSession(workflow, ids, input, settings);
    const session = opening instanceof Promise ? await opening : opening;
    if (session.stored !== undefined) {
      ended = true;
      yield* storedTerminal(session.stored);
      return;
    }
    recorder.binding = session.binding;
    // After the binding is kept: a state that cannot be made still ends the claimed run below.
    ctx = new RunContext({
      runId,
      parentRunId,
      sessionId,
      workflowId,
      workflowName: workflow.name,
      userId: settings.userId,
      history: session.history,
      metrics: response.metrics,
      sessionState: session.sessionState(),
      parent,
      cancellation,
      recorder,
      settings,
    });
    content = new ContentAccumulator(workflow.name, ids, logger, ctx, response);
    cancellation.throwIfAborted();
    source = toWorkflowSource(workflow.run(ctx, parsed));
    // Racing each await against the abort costs a promise per item: only when a signal can fire.
    const racer = cancellation.cancellable ? cancellation.whenAborted() : undefined;
    let step: ContentStep | undefined;
    if (source.kind === "value" || source.kind === "promise") {
      const value =
        source.kind === "value"
          ? source.value
          : racer === undefined
            ? await source.promise
            : await Promise.race([source.promise, racer]);
      if (value === aborted) cancellation.throwIfAborted();
      const steps = ctx.takeEvents();
      if (steps !== undefined) yield* steps;
      step = content.push(value, true);
      if (step !== undefined && !step.terminal && !ctx.replaying) yield step.event;
    } else if (source.kind === "sync") {
      const iterator = source.iterator;
      for (let r = iterator.next(); r.done !== true; r = iterator.next()) {
        cancellation.throwIfAborted();
        const steps = ctx.takeEvents();
        if (steps !== undefined) yield* steps;
        step = content.push(r.value, false);
        if (step === undefined) continue;
        if (step.terminal) break;
        if (ctx.replaying) continue; // content of replayed steps was streamed when they ran
        if (settings.debug) logger.debug(describeEvent(step.event));
        yield step.event;
      }
    } else {
      const iterator = source.iterator;
      for (;;) {
        const r =
          racer === undefined
            ? await iterator.next()
            : await Promise.race([iterator.next(), racer]);
        if (r === aborted) cancellation.throwIfAborted();
        if (r === aborted || r.done === true) break;
        const steps = ctx.takeEvents();
        if (steps !== undefined) yield* steps;
        step = content.push(r.value, false);
        if (step === undefined) continue;
        if (step.terminal) break;
        if (ctx.replaying) continue; // content of replayed steps was streamed when they ran
        if (settings.debug) logger.debug(describeEvent(step.event));
        yield step.event;
      }
    }
    if (step?.terminal === true) await closeWorkflowSource(source);
    cancellation.throwIfAborted();
    response.content = content.final(step);
    response.status = "completed";
    const steps = ctx.takeEvents();
    if (steps !== undefined) yield* steps;
    if (recorder.persists) await recorder.finish(ctx.sessionState);
    else recorder.stampDuration();
    ended = true;
    yield {
      event: "WorkflowCompleted",
      runId,
      sessionId,
      workflowId,
      parentRunId,
      createdAt: Date.now(),
      content: response.content,
      response,
    };
  } catch (error) {
    if (ended) throw error;
    ended = true;
    if (error instanceof Suspension) {
      // A child run's wait suspends its top-level run: the parent's runtime handles it.
      if (parent !== undefined) throw error;
      // The workflow function stays where it waits: a resume replays it from the top. What it
      // started beside the wait (steps, answered waits) is journaled first.
      await ctx?.settled();
      response.status = "suspended";
      response.content = content?.final(undefined);
      await recorder.finish(undefined, error.waits);
      const steps = ctx?.takeEvents();
      if (steps !== undefined) yield* steps;
      yield {
        event: "WorkflowSuspended",
        runId,
        sessionId,
        workflowId,
        createdAt: Date.now(),
        waitingFor: error.waits,
        content: response.content,
        response,
      };
      // A resume whose answer was refused: the run waits still, and the resume fails.
      if (error.cause !== undefined) throw error.cause;
      return;
    }
    await closeWorkflowSource(source);
    // A run that lost its claim aborts its signal (to stop its other work) but fails, as it is.
    if (cancellation.aborted && !(error instanceof LeaseLostError)) {
      const abort = cancellation.toAbortError(error);
      response.status = "cancelled";
      response.error = abort.message;
      await recorder.finishQuietly();
      yield {
        event: "WorkflowCancelled",
        runId,
        sessionId,
        workflowId,
        parentRunId,
        createdAt: Date.now(),
        reason: abort.message,
      };
      throw abort;
    }
    response.status = "error";
    response.error = error instanceof Error ? error.message : String(error);
    await recorder.finishQuietly();
    const errorName = error instanceof Error ? error.name : typeof error;
    yield {
      event: "WorkflowError",
      runId,
      sessionId,
      workflowId,
      parentRunId,
      createdAt: Date.now(),
      error: response.error,
      errorName,
    };
    throw error;
  } finally {
    cancellation.dispose();
    if (!ended) {
      // The consumer stopped iterating before the run ended: cancel it.
      cancellation.abort(new AbortError("The consumer stopped iterating"));
      await closeWorkflowSource(source);
      response.status = "cancelled";
      response.error = "The consumer stopped iterating";
      await recorder.finishQuietly();
    }
  }
}

/** Refuses options no run can take, before anything is claimed or written. */
function checkSettings(settings: RunSettings): void {
  const { historyLimit, runId, parent } = settings;
  if (parent === undefined && runId !== undefined) {
    if (typeof runId !== "string" || runId === "" || runId.includes("/")) {
      throw new InvalidOptionError(
        `runId must be a non-empty string without "/" (child runs' ids add "/" and a number), got ${JSON.stringify(runId)}`,
      );
    }
  }
  if (!Number.isInteger(historyLimit) || historyLimit < 0) {
    throw new InvalidOptionError(
      `historyLimit must be a whole number ≥ 0 (how many earlier runs ctx.history holds), got ${historyLimit}`,
    );
  }
}

function describeEvent(event: WorkflowEvent): string {
  return `[buddy-ai] ${event.event} run=${event.runId}`;
}
