import { InvalidOptionError } from "../errors.js";
import { checkSessionField } from "../session/session-fields.js";
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

/** Refuses options no run can take, before anything is claimed or written. */
export function checkSettings(settings: RunSettings): void {
  const { historyLimit, runId, parent, sessionId } = settings;
  // A store checks every id it keeps; without one, a session id is still checked like them.
  if (parent === undefined && sessionId !== undefined && settings.storage === undefined) {
    checkSessionField("sessionId", sessionId);
  }
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
