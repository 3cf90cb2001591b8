import { UnstorableValueError } from "../errors.js";
import { mergeSessionState } from "../session/merge-state.js";
import type { SessionRun, WorkflowStorage } from "../session/workflow-storage.js";
import type { SessionState, Workflow } from "../workflow/workflow.js";
import type { RunIds } from "./content-accumulator.js";
import type { PendingWait } from "./run-event.js";
import type { RunSettings } from "./run-link.js";
import type { RunResponse } from "./run-response.js";
import { storedRun, storedWaits } from "./stored-run.js";

/** The state and history a run starts from, and the claimed session when there is a store. */
export interface OpenedSession {
  readonly binding: SessionRun | undefined;
  /**
   * Makes the run's state (stored state merged with the defaults). Called once the caller holds
   * `binding`, since it may throw (`UnstorableValueError`) and the claimed run must then still
   * be finished.
   */
  readonly sessionState: () => SessionState;
  readonly history: readonly RunResponse[];
  /** The stored run `options.runId` names, when it exists: it is not executed again. */
  readonly stored?: RunResponse;
  /** What that stored run waits for, when it is suspended. */
  readonly storedWaits?: readonly PendingWait[];
  /**
   * Without a store: hands a completed run's state to the caller's `sessionState` object (the
   * run worked on a copy, so a failed or cancelled run leaves it untouched).
   */
  readonly commit?: (state: SessionState) => void;
}

/**
 * Where a run's state comes from: its parent's (a child run shares it), the store (stored state
 * merged over the defaults), or the caller's `sessionState` object when there is no store. Only
 * a store needs a round trip: without one the session opens synchronously (no await per run).
 */
export function openSession(
  workflow: Workflow,
  ids: RunIds,
  input: unknown,
  settings: RunSettings,
): OpenedSession | Promise<OpenedSession> {
  const { parent, storage } = settings;
  if (parent !== undefined) {
    const state = parent.sessionState;
    return { binding: undefined, sessionState: () => state, history: parent.history };
  }
  if (storage === undefined) {
    const given = settings.sessionState;
    if (given === undefined) return { binding: undefined, sessionState: () => ({}), history: [] };
    // State changes are all-or-nothing, as with a store: the run works on a copy.
    const state = copyState(given);
    return {
      binding: undefined,
      sessionState: () => state,
      history: [],
      commit: (final) => replaceContents(given, final),
    };
  }
  return claimSession(storage, workflow, ids, input, settings);
}

async function claimSession(
  storage: WorkflowStorage,
  workflow: Workflow,
  ids: RunIds,
  input: unknown,
  settings: RunSettings,
): Promise<OpenedSession> {
  // A run id given by the caller may name a run that exists already: it runs once.
  const chosen = settings.runId !== undefined && settings.adopt !== true;
  if (chosen) {
    const stored = await storedRun(storage, workflow, ids.runId, settings.signal);
    if (stored !== undefined) return storedSession(storage, stored);
  }
  let binding: SessionRun;
  try {
    binding = await openRun(storage, workflow, ids, input, settings);
  } catch (error) {
    // Started at the same moment elsewhere (the run's row exists now): that one runs.
    const stored = chosen ? await storage.getRun(ids.runId).catch(() => undefined) : undefined;
    if (stored === undefined) throw error;
    const finished = await storedRun(storage, workflow, ids.runId, settings.signal);
    if (finished === undefined) throw error;
    return storedSession(storage, finished);
  }
  const sessionState = () =>
    mergeSessionState(
      binding.session?.sessionState ?? {},
      settings.sessionState ?? {},
      settings.overwriteSessionState,
    );
  return { binding, sessionState, history: binding.history };
}

function openRun(
  storage: WorkflowStorage,
  workflow: Workflow,
  ids: RunIds,
  input: unknown,
  settings: RunSettings,
): Promise<SessionRun> {
  return storage.openRun({
    sessionId: ids.sessionId,
    runId: ids.runId,
    workflowId: workflow.id,
    workflowData: { name: workflow.name, description: workflow.description },
    userId: settings.userId,
    sessionName: settings.sessionName,
    input,
    historyLimit: settings.historyLimit,
    signal: settings.signal,
    adopt: settings.adopt,
    resume: settings.resume,
    eventLog: settings.eventLog,
  });
}

/**
 * `next`, assigned to `ctx.sessionState`, as the run's new state: a plain object, else an
 * `UnstorableValueError` (thrown in the workflow, so the run fails and nothing is saved).
 */
export function replacementState(next: unknown): SessionState {
  if (typeof next === "object" && next !== null && !Array.isArray(next)) {
    const proto: unknown = Object.getPrototypeOf(next);
    if (proto === Object.prototype || proto === null) return next as SessionState;
  }
  const what =
    next === null
      ? "null"
      : Array.isArray(next)
        ? "an array"
        : typeof next === "object"
          ? "an instance of a class"
          : `a ${typeof next}`;
  throw new UnstorableValueError(
    "sessionState",
    `${what} (assigned to ctx.sessionState)`,
    "assign a plain object, e.g. ctx.sessionState = { ...ctx.sessionState, visits: 1 }",
  );
}

/** A deep copy of the caller's state (`structuredClone`: plain data, dates, maps, sets…). */
function copyState(state: SessionState): SessionState {
  try {
    return structuredClone(state);
  } catch (error) {
    throw new UnstorableValueError(
      "sessionState",
      `a value that cannot be copied (${error instanceof Error ? error.message : String(error)})`,
      "keep plain data in sessionState (objects, arrays, strings, numbers, dates, maps, sets)",
    );
  }
}

/** Makes `target` hold exactly what `source` holds (same object, new contents). */
function replaceContents(target: SessionState, source: SessionState): void {
  if (target === source) return;
  for (const key of Object.keys(target)) if (!(key in source)) delete target[key];
  Object.assign(target, source);
}

/** The session of a start that stands for stored run `stored`: nothing is claimed. */
async function storedSession(
  storage: WorkflowStorage,
  stored: RunResponse,
): Promise<OpenedSession> {
  const waits = await storedWaits(storage, stored);
  return { binding: undefined, sessionState: () => ({}), history: [], stored, storedWaits: waits };
}
