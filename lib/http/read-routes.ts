import type { WorkflowSession } from "../session/workflow-session.js";
import { followLog } from "./follow-log.js";
import type { HandlerContext } from "./handler.js";
import { HttpError } from "./http-answers.js";
import { eventText, frameText, sseBody, sseHeaders } from "./sse.js";

/** `GET /sessions?limit=`: sessions, newest first (default 50, at most 1,000). */
export async function readSessions(context: HandlerContext, url: URL): Promise<WorkflowSession[]> {
  const limit = wholeNumber(url.searchParams.get("limit"), "limit") ?? 50;
  return context.storage.listSessions({ limit: Math.min(Math.max(limit, 1), 1000) });
}

/** `GET /sessions/:sessionId`: the session and its runs. */
export async function readSession(context: HandlerContext, sessionId: string) {
  const session = await context.storage.readSession(sessionId);
  if (session === undefined) throw new HttpError(404, `There is no session "${sessionId}"`);
  return { session, runs: await context.storage.listRuns(sessionId) };
}

/** `GET /runs/:runId`: the run, its steps and (suspended) what it waits for. */
export async function readRun(context: HandlerContext, runId: string) {
  const { storage } = context;
  const run = await storage.getRun(runId);
  if (run === undefined) throw new HttpError(404, `There is no run "${runId}"`);
  const steps = await storage.listSteps(runId);
  if (run.status !== "suspended" || run.parentRunId !== undefined) return { run, steps };
  const suspended = await storage.listSuspendedRuns({ sessionId: run.sessionId });
  const waitingFor = suspended.find((s) => s.run.runId === runId)?.waitingFor ?? [];
  return { run, steps, waitingFor };
}

/**
 * `GET /runs/:runId/events`: the run's events after `Last-Event-ID` (or `?after=`), then live
 * until it ends: from this process's memory when it produces the run, else from the store's log.
 */
export async function readEvents(
  context: HandlerContext,
  request: Request,
  url: URL,
  runId: string,
): Promise<Response> {
  const after =
    wholeNumber(request.headers.get("last-event-id"), "Last-Event-ID") ??
    wholeNumber(url.searchParams.get("after"), "after") ??
    0;
  const live = context.live.get(runId);
  if (live !== undefined) {
    return new Response(sseBody(live.follow(after), eventText, context.keepAliveMs), {
      headers: sseHeaders,
    });
  }
  const run = await context.storage.getRun(runId);
  if (run === undefined || run.parentRunId !== undefined) {
    throw new HttpError(404, `There is no run "${runId}"`);
  }
  const stop = new AbortController();
  const source = followLog(context.storage, runId, after, context.pollMs, stop.signal);
  const body = sseBody(source, frameText, context.keepAliveMs, () => stop.abort());
  return new Response(body, { headers: sseHeaders });
}

/** A whole number ≥ 0 from a header or query parameter; absent → undefined; else 400. */
function wholeNumber(value: string | null, name: string): number | undefined {
  if (value === null || value === "") return undefined;
  if (!/^\d{1,15}$/.test(value)) {
    throw new HttpError(400, `${name} must be a whole number ≥ 0, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}
