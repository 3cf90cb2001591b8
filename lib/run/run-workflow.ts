import { AbortError, InvalidOptionError } from "../errors.js";
import { createContext } from "../workflow/create-context.js";
import { validateInput } from "../workflow/validate-input.js";
import type { SessionState, Workflow } from "../workflow/workflow.js";
import { childRunner } from "./child-runner.js";
import { ContentAccumulator, type ContentStep } from "./content-accumulator.js";
import { newRunId, newSessionId } from "./ids.js";
import { aborted, RunCancellation } from "./run-cancellation.js";
import type { WorkflowEvent } from "./run-event.js";
import type { RunSettings } from "./run-link.js";
import { RunRecorder } from "./run-recorder.js";
import { RunResponse } from "./run-response.js";
import { openSession, replacementState } from "./session-binding.js";
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
  const runId = newRunId();
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
  let state: SessionState | undefined;
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
    recorder.binding = session.binding;
    // After the binding is kept: a state that cannot be made still ends the claimed run below.
    state = session.sessionState();
    // `ctx.sessionState` reads and replaces the state that is saved; a child run's is its parent's.
    const stateAccess = {
      get: (): SessionState => parent?.sessionState ?? state ?? {},
      set: (next: unknown): void => {
        const checked = replacementState(next);
        if (parent !== undefined) parent.replaceSessionState(checked);
        else state = checked;
      },
    };
    const userId = settings.userId;
    const ctx = createContext(
      {
        runId,
        sessionId,
        workflowId,
        parentRunId,
        userId,
        workflowName: workflow.name,
        sessionState: stateAccess,
        history: session.history,
        signal: () => cancellation.signal,
        metrics: response.metrics,
      },
      childRunner(() => ({
        runId,
        sessionId,
        userId,
        get sessionState() {
          return stateAccess.get();
        },
        replaceSessionState: stateAccess.set,
        history: session.history,
        get signal() {
          return cancellation.signal;
        },
        logger,
        debug: settings.debug,
        historyLimit: settings.historyLimit,
        collect: (child) => {
          recorder.collect(child);
          ctx.recordUsage(child.runId, child.metrics);
        },
      })),
    );
    const content = new ContentAccumulator(workflow.name, ids, logger, ctx.recordUsage, response);
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
      step = content.push(value, true);
      if (step !== undefined && !step.terminal) yield step.event;
    } else if (source.kind === "sync") {
      const iterator = source.iterator;
      for (let r = iterator.next(); r.done !== true; r = iterator.next()) {
        cancellation.throwIfAborted();
        step = content.push(r.value, false);
        if (step === undefined) continue;
        if (step.terminal) break;
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
        step = content.push(r.value, false);
        if (step === undefined) continue;
        if (step.terminal) break;
        if (settings.debug) logger.debug(describeEvent(step.event));
        yield step.event;
      }
    }
    if (step?.terminal === true) await closeWorkflowSource(source);
    cancellation.throwIfAborted();
    response.content = content.final(step);
    response.status = "completed";
    if (recorder.persists) await recorder.finish(state);
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
    await closeWorkflowSource(source);
    if (cancellation.aborted) {
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
  const { historyLimit } = settings;
  if (!Number.isInteger(historyLimit) || historyLimit < 0) {
    throw new InvalidOptionError(
      `historyLimit must be a whole number ≥ 0 (how many earlier runs ctx.history holds), got ${historyLimit}`,
    );
  }
}

function describeEvent(event: WorkflowEvent): string {
  return `[buddy-ai] ${event.event} run=${event.runId}`;
}
