import type { SessionState } from "../workflow/workflow.js";
import type { ExecuteOptions } from "./execute-options.js";
import type { RunSettings } from "./run-link.js";

/** A top-level run's settings from the options of `execute` (and of `resume`, `recoverRuns`). */
export function runSettings<S extends SessionState>(options: ExecuteOptions<S>): RunSettings {
  return {
    sessionId: options.sessionId,
    sessionName: options.sessionName,
    userId: options.userId,
    sessionState: options.sessionState as SessionState | undefined,
    overwriteSessionState: options.overwriteSessionState ?? false,
    storage: options.storage,
    signal: options.signal,
    extraData: options.extraData,
    historyLimit: options.historyLimit ?? 10,
    logger: options.logger ?? console,
    debug: options.debug ?? false,
    parent: undefined,
    runId: options.runId,
    eventLog: options.eventLog ?? false,
  };
}
