import { AbortError, LeaseLostError } from "../errors.js";
import { type RunTrace, runTraceOf, suspendedSpanKey, traceRun } from "../tracing/run-trace.js";
import { validateInput } from "../workflow/validate-input.js";
import type { Workflow } from "../workflow/workflow.js";
import { ContentAccumulator, type ContentStep } from "./content-accumulator.js";
import { RunEventLog, stamped } from "./event-log.js";
import { newRunId, newSessionId } from "./ids.js";
import { aborted, RunCancellation } from "./run-cancellation.js";
import { RunContext } from "./run-context.js";
import type { WorkflowEvent } from "./run-event.js";
import type { RunSettings } from "./run-link.js";
import { RunRecorder } from "./run-recorder.js";
import { RunResponse } from "./run-response.js";
import { checkSettings } from "./run-settings.js";
import { Suspension } from "./run-wait.js";
import { openSession } from "./session-binding.js";
import { storedTerminal } from "./stored-terminal.js";
import {
  closeWorkflowSource,
  closeWorkflowSourceWithin,
  toWorkflowSource,
  type WorkflowSource,
} from "./workflow-source.js";

/** How long a cancelled run waits for its workflow's clean-up before it ends (ms). */
const cleanupWaitMs = 1_000;

/**
 * One run of a workflow as an async generator of events. With `debug`, a top-level run's every
 * event (its children's among them) is also logged through `logger.debug`, one line each.
 */
export function runWorkflow(
  workflow: Workflow,
  input: unknown,
  settings: RunSettings,
): AsyncGenerator<WorkflowEvent, void, undefined> {
  const events = runEvents(workflow, input, settings);
  return settings.debug && settings.parent === undefined
    ? logEach(events, settings.logger)
    : events;
}

async function* logEach(
  events: AsyncGenerator<WorkflowEvent, void, undefined>,
  logger: RunSettings["logger"],
): AsyncGenerator<WorkflowEvent, void, undefined> {
  for await (const event of events) {
    const seq = event.seq === undefined ? "" : ` seq=${event.seq}`;
    logger.debug(`[buddy-ai] ${event.event} run=${event.runId}${seq}`);
    yield event;
  }
}

/**
 * The whole lifecycle of a run (start, input validation, session load, the workflow's own items,
 * save, terminal event) in one native stage.
 */
async function* runEvents(
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
  // A top-level run numbers its events (and logs them when it keeps a log); a child's events
  // are numbered as they reach the top-level stream.
  const log =
    parent === undefined
      ? new RunEventLog(logger, settings.eventLog === true || settings.adopt === true)
      : undefined;
  const started: WorkflowEvent = {
    event: "WorkflowStarted",
    runId,
    sessionId,
    workflowId,
    parentRunId,
    createdAt: Date.now(),
    workflowName: workflow.name,
  };
  // With a store, `WorkflowStarted` waits for the session: the run is then recorded (a reader
  // that sees it can find the run), and a continued run's events count on from its stored `seq`.
  let startedOut = parent !== undefined || settings.storage === undefined;
  // The run's span: only while a tracer provider is registered (else nothing is called).
  let trace: RunTrace | undefined;
  if (parent === undefined) {
    const traced = traceRun(ids, workflow.name, input, settings);
    trace = traced instanceof Promise ? await traced : traced;
  } else trace = runTraceOf(parent)?.child(ids, workflow.name, input);

  try {
    if (startedOut) yield log?.stamp(started) ?? started;
    checkSettings(settings);
    const parsed =
      workflow.input === undefined
        ? input
        : await validateInput(workflow.name, workflow.input, input);
    const opening = openSession(workflow, ids, input, settings);
    const session = opening instanceof Promise ? await opening : opening;
    // Kept at once: however the run ends from here (the consumer stopping at WorkflowStarted
    // among them), it is recorded and the session given back.
    recorder.binding = session.binding;
    log?.open(session.binding, settings.adopt === true && settings.resume !== true);
    if (!startedOut) {
      startedOut = true;
      yield log?.stamp(started) ?? started;
    }
    if (session.stored !== undefined) {
      ended = true;
      trace?.stored(session.stored.status);
      const terminal = storedTerminal(session.stored, session.storedWaits);
      for await (const event of terminal) yield log?.stamp(event) ?? event;
      return;
    }
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
      trace,
    });
    const textLog = log?.keepsLog === true ? log.readTextFrom : undefined;
    content = new ContentAccumulator(workflow.name, ids, logger, ctx, response, textLog);
    cancellation.throwIfAborted();
    if (trace !== undefined && ctx.replaying) trace.replayed();
    if (trace === undefined) source = toWorkflowSource(workflow.run(ctx, parsed));
    else {
      // The workflow function runs, and its iterator resumes, with the run's span active.
      source = trace.source(toWorkflowSource(trace.call(workflow.run, workflow, ctx, parsed)));
    }
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
      if (steps !== undefined) yield* stamped(log, steps);
      step = content.push(value, true);
      if (step !== undefined && !step.terminal && !ctx.replaying) {
        yield log?.stamp(step.event) ?? step.event;
      }
    } else {
      // An iterator: a sync one's items are taken as they are, an async one's awaited (raced
      // against the abort when it can fire).
      const sync = source.kind === "sync";
      const iterator = source.iterator as Iterator<unknown> | AsyncIterator<unknown>;
      for (;;) {
        const next = iterator.next();
        const r = sync
          ? (next as IteratorResult<unknown>)
          : racer === undefined
            ? await next
            : await Promise.race([next, racer]);
        if (r === aborted) cancellation.throwIfAborted();
        if (r === aborted) break;
        if (r.done === true) {
          if (r.value !== undefined) step = returnedContent(r.value);
          break;
        }
        if (sync) cancellation.throwIfAborted();
        const steps = ctx.takeEvents();
        if (steps !== undefined) yield* stamped(log, steps);
        step = content.push(r.value, false);
        if (step === undefined) continue;
        if (step.terminal) break;
        if (ctx.replaying) continue; // content of replayed steps was streamed when they ran
        if (log === undefined) yield step.event;
        else {
          yield log.stamp(step.event);
          const behind = log.caughtUp();
          if (behind !== undefined) await behind;
        }
      }
    }
    if (step?.terminal === true) await closeWorkflowSource(source);
    // Steps the workflow started without awaiting them are journaled before the run ends.
    if (ctx.busy) await ctx.settled();
    cancellation.throwIfAborted();
    const steps = ctx.takeEvents();
    if (steps !== undefined) yield* stamped(log, steps);
    const saving = recorder.complete(log, content.final(step), ctx.sessionState, session.commit);
    const completed = saving instanceof Promise ? await saving : saving;
    ended = true;
    trace?.completed(response.content);
    yield completed;
  } catch (error) {
    if (ended) throw error;
    ended = true;
    if (!startedOut) {
      startedOut = true;
      yield log?.stamp(started) ?? started;
    }
    if (error instanceof Suspension) {
      // A child run's wait suspends its top-level run: the parent's runtime handles it.
      if (parent !== undefined) {
        // What it started beside the wait is journaled before its parent suspends.
        await ctx?.settled();
        trace?.suspended(error.waits);
        throw error;
      }
      // The workflow function stays where it waits: a resume replays it from the top. What it
      // started beside the wait (steps, answered waits) is journaled first. Their events are
      // numbered (and logged) before the run's end, and streamed after its save, as the run has
      // ended: a consumer that stops at one leaves it suspended, not cancelled nor unsaved.
      await ctx?.settled();
      const steps = [...stamped(log, ctx?.takeEvents() ?? [])];
      // A resumed run's span links to this one's: the store keeps its id with the run.
      if (trace !== undefined) response.extraData[suspendedSpanKey] = trace.traceparent;
      let ending: WorkflowEvent;
      // Thrown after the end: a resume whose answer was refused (the run waits still), or a
      // wait that could not be saved (a prompt that cannot be stored, the session taken over:
      // the run fails instead, recorded so, its session given back).
      let failure = error.cause;
      try {
        ending = await recorder.suspend(log, error.waits, content?.final(undefined));
        trace?.suspended(error.waits);
      } catch (refused) {
        failure = refused;
        ending = await recorder.fail(log, refused);
        trace?.failed(refused, false);
      }
      yield* steps;
      yield ending;
      if (failure !== undefined) throw failure;
      return;
    }
    // A cancelled run's workflow may be inside an await that ignores the signal: its clean-up
    // (its `finally` blocks) is waited for a moment, not for as long as that await lasts.
    if (cancellation.aborted) await closeWorkflowSourceWithin(source, cleanupWaitMs);
    else await closeWorkflowSource(source);
    // A run that lost its claim aborts its signal (to stop its other work) but fails, as it is.
    if (cancellation.aborted && !(error instanceof LeaseLostError)) {
      const abort = cancellation.toAbortError(error);
      const cancelled = await recorder.cancel(log, abort.message, content?.final(undefined));
      trace?.failed(abort, true);
      yield cancelled;
      throw abort;
    }
    const failed = await recorder.fail(log, error);
    trace?.failed(error, false);
    yield failed;
    throw error;
  } finally {
    cancellation.dispose();
    if (!ended) {
      // The consumer stopped iterating before the run ended: cancel it.
      cancellation.abort(new AbortError("The consumer stopped iterating"));
      await closeWorkflowSource(source);
      // Not streamed (nobody reads on), but logged: a reader elsewhere sees how it ended.
      const reason = "The consumer stopped iterating";
      await recorder.cancel(log, reason, content?.final(undefined));
      trace?.failed(reason, true);
    }
  }
}

/**
 * What a generator returned (not undefined): the run's final content, in place of what it
 * yielded (as if it had yielded `workflowCompleted({ content })`); not streamed as a delta.
 */
function returnedContent(value: unknown): ContentStep {
  return { terminal: true, content: value instanceof RunResponse ? value.content : value };
}
