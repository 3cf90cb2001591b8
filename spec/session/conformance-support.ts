import { randomUUID } from "node:crypto";
import {
  type OpenRunRequest,
  RunResponse,
  type RunStatus,
  type SessionRun,
  type WorkflowStorage,
} from "buddy-ai";

export const workflowData = { name: "counter", description: "Counts visits." } as const;

/** An `openRun` request for `sessionId` with a new run id. */
export function request(
  sessionId: string,
  overrides: Partial<OpenRunRequest> = {},
): OpenRunRequest {
  return {
    sessionId,
    runId: randomUUID(),
    workflowId: "counter",
    workflowData,
    userId: undefined,
    sessionName: undefined,
    input: { ask: "count" },
    historyLimit: 10,
    signal: undefined,
    ...overrides,
  };
}

/** The final response of the run `req` opened. */
export function response(
  req: OpenRunRequest,
  content: unknown,
  status: RunStatus = "completed",
  error?: string,
): RunResponse {
  return new RunResponse({
    runId: req.runId,
    sessionId: req.sessionId,
    workflowId: req.workflowId,
    input: req.input,
    content,
    status,
    error,
    metrics: { durationMs: 1.5 },
  });
}

/** A child run of `parent`. */
export function child(parent: OpenRunRequest, content: unknown): RunResponse {
  return new RunResponse({
    runId: randomUUID(),
    parentRunId: parent.runId,
    sessionId: parent.sessionId,
    workflowId: "child",
    input: "child input",
    content,
    status: "completed",
  });
}

/** One completed run that sets `state` (merged over what it loaded) and answers `content`. */
export async function completeRun(
  storage: WorkflowStorage,
  sessionId: string,
  state: Record<string, unknown> = {},
  content: unknown = "done",
  overrides: Partial<OpenRunRequest> = {},
): Promise<OpenRunRequest> {
  const req = request(sessionId, overrides);
  const opened = await storage.openRun(req);
  const sessionState = { ...opened.session?.sessionState, ...state };
  await opened.finish({ runs: [response(req, content)], sessionState });
  return req;
}

/** Opens a run and ends it without state, as a failed (or cancelled) run does. */
export async function failRun(
  storage: WorkflowStorage,
  sessionId: string,
  status: "error" | "cancelled" = "error",
): Promise<OpenRunRequest> {
  const req = request(sessionId);
  const opened: SessionRun = await storage.openRun(req);
  await opened.finish({ runs: [response(req, undefined, status, `${status}: boom`)] });
  return req;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Settles `promise` into `{ value }` or `{ error }`, for assertions on both. */
export async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}
