import { AbortError, InvalidOptionError } from "../errors.js";
import type { SessionRun } from "../session/workflow-storage.js";
import { createContext } from "../workflow/create-context.js";
import { validateInput } from "../workflow/validate-input.js";
import type { SessionState, Workflow } from "../workflow/workflow.js";
import { childRunner } from "./child-runner.js";
import { ContentAccumulator, type ContentStep } from "./content-accumulator.js";
import { newRunId, newSessionId } from "./ids.js";
import type { WorkflowEvent } from "./run-event.js";
import type { RunSettings } from "./run-link.js";
import { RunResponse } from "./run-response.js";
import { openSession, replacementState } from "./session-binding.js";
import { closeWorkflowSource, toWorkflowSource, type WorkflowSource } from "./workflow-source.js";

const aborted = Symbol("aborted");

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
  const sessionId = parent?.sessionId ?? settings.sessionId ?? newSessionId();
  const ids =
    parent === undefined
      ? { runId, sessionId, workflowId: workflow.id }
      : { runId, sessionId, workflowId: workflow.id, parentRunId: parent.runId };
  const response = new RunResponse({
    runId,
    sessionId,
    workflowId: workflow.id,
    parentRunId: parent?.runId,
    input,
    extraData: settings.extraData,
  });
  const startedAt = performance.now();
  // The run's own signal, made on first use: a run without a caller's signal whose workflow
  // never reads ctx.signal needs none (an AbortController costs more than the rest of a run).
  const outer = parent?.signal ?? settings.signal;
  let controller: AbortController | undefined;
  const onOuterAbort = () => controller?.abort(outer?.reason);
  const runSignal = (): AbortSignal => {
    if (controller === undefined) {
      controller = new AbortController();
      if (outer?.aborted) controller.abort(outer.reason);
      else outer?.addEventListener("abort", onOuterAbort, { once: true });
    }
    return controller.signal;
  };
  const isAborted = () => controller?.signal.aborted === true;
  if (outer !== undefined) runSignal();
  let abortPromise: Promise<typeof aborted> | undefined;
  const children: RunResponse[] = [];
  let binding: SessionRun | undefined;
  let source: WorkflowSource | undefined;
  let state: SessionState | undefined;
  let ended = false;

  const finish = async (withState: boolean): Promise<void> => {
    response.metrics.durationMs = performance.now() - startedAt;
    if (parent !== undefined) {
      parent.collect(response);
      return;
    }
    if (binding === undefined) return;
    const runs = [response, ...children];
    if (withState && state !== undefined) {
      await binding.finish({ runs, sessionState: state, extraData: settings.extraData });
    } else {
      await binding.finish({ runs });
    }
  };
  const finishQuietly = async (): Promise<void> => {
    try {
      await finish(false);
    } catch (error) {
      logger.warn(`Could not record run ${runId} as ${response.status}: ${errorMessage(error)}`);
    }
  };

  try {
    yield {
      event: "WorkflowStarted",
      runId,
      sessionId,
      workflowId: workflow.id,
      parentRunId: parent?.runId,
      createdAt: Date.now(),
      workflowName: workflow.name,
    };
    checkSettings(settings);
    const parsed =
      workflow.input === undefined
        ? input
        : await validateInput(workflow.name, workflow.input, input);
    const session =
      parent === undefined && settings.storage === undefined
        ? { binding: undefined, sessionState: () => settings.sessionState ?? {}, history: [] }
        : await openSession(workflow, ids, input, settings);
    binding = session.binding;
    // After `binding` is set: a state that cannot be made still ends the claimed run below.
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
    const ctx = createContext(
      {
        runId,
        sessionId,
        workflowId: workflow.id,
        parentRunId: parent?.runId,
        workflowName: workflow.name,
        userId: parent?.userId ?? settings.userId,
        sessionState: stateAccess,
        history: session.history,
        signal: runSignal,
        metrics: response.metrics,
      },
      childRunner(() => ({
        runId,
        sessionId,
        userId: parent?.userId ?? settings.userId,
        get sessionState() {
          return stateAccess.get();
        },
        replaceSessionState: stateAccess.set,
        history: session.history,
        get signal() {
          return runSignal();
        },
        logger,
        debug: settings.debug,
        historyLimit: settings.historyLimit,
        collect: (child) => {
          children.push(child);
          ctx.recordUsage(child.runId, child.metrics);
        },
        recordUsage: (callId, usage) => ctx.recordUsage(callId, usage),
      })),
    );
    const content = new ContentAccumulator(workflow.name, ids, logger, ctx.recordUsage, response);
    if (isAborted()) throw runSignal().reason;
    source = toWorkflowSource(workflow.run(ctx, parsed));
    const cancellable = outer !== undefined;
    if (cancellable) {
      abortPromise = new Promise((resolve) =>
        runSignal().addEventListener("abort", () => resolve(aborted), { once: true }),
      );
    }
    let step: ContentStep | undefined;
    if (source.kind === "value" || source.kind === "promise") {
      const value =
        source.kind === "value"
          ? source.value
          : cancellable
            ? await Promise.race([source.promise, abortPromise])
            : await source.promise;
      if (value === aborted) throw runSignal().reason;
      step = content.push(value, true);
      if (step !== undefined && !step.terminal) yield step.event;
    } else if (source.kind === "sync") {
      const iterator = source.iterator;
      for (let r = iterator.next(); r.done !== true; r = iterator.next()) {
        if (isAborted()) throw runSignal().reason;
        step = content.push(r.value, false);
        if (step === undefined) continue;
        if (step.terminal) break;
        if (settings.debug) logger.debug(describeEvent(step.event));
        yield step.event;
      }
    } else {
      const iterator = source.iterator;
      for (;;) {
        const r = cancellable
          ? await Promise.race([iterator.next(), abortPromise])
          : await iterator.next();
        if (r === aborted) throw runSignal().reason;
        if (r === undefined || r.done === true) break;
        step = content.push(r.value, false);
        if (step === undefined) continue;
        if (step.terminal) break;
        if (settings.debug) logger.debug(describeEvent(step.event));
        yield step.event;
      }
    }
    if (step?.terminal === true) await closeWorkflowSource(source);
    if (isAborted()) throw runSignal().reason;
    response.content = content.final(step);
    response.status = "completed";
    if (parent !== undefined || binding !== undefined) await finish(true);
    else response.metrics.durationMs = performance.now() - startedAt;
    ended = true;
    yield {
      event: "WorkflowCompleted",
      runId,
      sessionId,
      workflowId: workflow.id,
      parentRunId: parent?.runId,
      createdAt: Date.now(),
      content: response.content,
      response,
    };
  } catch (error) {
    if (ended) throw error;
    ended = true;
    await closeWorkflowSource(source);
    if (isAborted()) {
      const abort =
        error instanceof AbortError
          ? error
          : new AbortError("The run was cancelled", { cause: runSignal().reason });
      response.status = "cancelled";
      response.error = abort.message;
      await finishQuietly();
      yield {
        event: "WorkflowCancelled",
        runId,
        sessionId,
        workflowId: workflow.id,
        parentRunId: parent?.runId,
        createdAt: Date.now(),
        reason: abort.message,
      };
      throw abort;
    }
    response.status = "error";
    response.error = errorMessage(error);
    await finishQuietly();
    yield {
      event: "WorkflowError",
      runId,
      sessionId,
      workflowId: workflow.id,
      parentRunId: parent?.runId,
      createdAt: Date.now(),
      error: response.error,
      errorName: error instanceof Error ? error.name : typeof error,
    };
    throw error;
  } finally {
    outer?.removeEventListener("abort", onOuterAbort);
    if (!ended) {
      // The consumer stopped iterating before the run ended: cancel it.
      runSignal();
      controller?.abort(new AbortError("The consumer stopped iterating"));
      await closeWorkflowSource(source);
      response.status = "cancelled";
      response.error = "The consumer stopped iterating";
      await finishQuietly();
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

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function describeEvent(event: WorkflowEvent): string {
  return `[buddy-ai] ${event.event} run=${event.runId}`;
}
