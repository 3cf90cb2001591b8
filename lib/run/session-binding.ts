import { mergeSessionState } from "../session/merge-state.js";
import type { SessionRun } from "../session/workflow-storage.js";
import type { SessionState, Workflow } from "../workflow/workflow.js";
import type { RunIds } from "./content-accumulator.js";
import type { RunSettings } from "./run-link.js";
import type { RunResponse } from "./run-response.js";

/** The state and history a run starts from, and the claimed session when there is a store. */
export interface OpenedSession {
  readonly binding: SessionRun | undefined;
  readonly sessionState: SessionState;
  readonly history: readonly RunResponse[];
}

/**
 * Where a run's state comes from: its parent's (a child run shares it), the store (stored state
 * merged over the defaults), or the caller's `sessionState` object when there is no store.
 */
export async function openSession(
  workflow: Workflow,
  ids: RunIds,
  input: unknown,
  settings: RunSettings,
): Promise<OpenedSession> {
  const { parent, storage } = settings;
  if (parent !== undefined) {
    return { binding: undefined, sessionState: parent.sessionState, history: parent.history };
  }
  if (storage === undefined) {
    return { binding: undefined, sessionState: settings.sessionState ?? {}, history: [] };
  }
  const binding = await storage.openRun({
    sessionId: ids.sessionId,
    runId: ids.runId,
    workflowId: workflow.id,
    workflowData: { name: workflow.name, description: workflow.description },
    userId: settings.userId,
    sessionName: settings.sessionName,
    input,
    historyLimit: settings.historyLimit,
    signal: settings.signal,
  });
  const sessionState = mergeSessionState(
    binding.session?.sessionState ?? {},
    settings.sessionState ?? {},
    settings.overwriteSessionState,
  );
  return { binding, sessionState, history: binding.history };
}
