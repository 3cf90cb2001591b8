import { BuddyError, InvalidOptionError, InvalidSessionFieldError } from "../errors.js";
import type { Logger } from "../run/logger.js";
import { checkSessionField } from "../session/session-fields.js";
import type { WorkflowStorage } from "../session/workflow-storage.js";
import type { Workflow } from "../workflow/workflow.js";
import { errorAnswer, HttpError, json } from "./http-answers.js";
import { inspectorPage } from "./inspector-page.js";
import { LiveRuns } from "./live-runs.js";
import { readEvents, readRun, readSession, readSessions } from "./read-routes.js";
import { cancelRun, resumeRun, startRun } from "./run-routes.js";

/** What a request asks to do, as `authorize` is asked about it. */
export type HandlerAction = "start" | "resume" | "cancel" | "read";

/**
 * Options of {@link createHandler}.
 *
 * @example
 * ```ts
 * import type { HandlerOptions } from "buddy-ai/http";
 * import { sqliteStorage } from "buddy-ai/sqlite";
 * const options: HandlerOptions = {
 *   storage: sqliteStorage({ dbFile: "tmp/buddy.db" }),
 *   workflows: [],
 *   authorize: (request, action) =>
 *     action === "read" || request.headers.get("authorization") === `Bearer ${process.env.TOKEN}`,
 *   basePath: "/buddy",
 * };
 * ```
 */
export interface HandlerOptions {
  /** Where runs are claimed, saved and logged (`sqliteStorage` or `postgresStorage`). */
  readonly storage: WorkflowStorage;
  /** The workflows `POST /runs` may start (by `workflowId`) and resume may continue. */
  readonly workflows: readonly Workflow[];
  /**
   * Decides whether a request may do `action`. Without it, runs cannot be started, resumed or
   * cancelled (403) and reading is open; with it, reads are asked too (`"read"`).
   */
  readonly authorize?: (request: Request, action: HandlerAction) => boolean | Promise<boolean>;
  /** The path the handler is mounted under, e.g. `"/buddy"` (default: the root). */
  readonly basePath?: string;
  /** The largest request body accepted (bytes); larger ones get 413. Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** How often a reader polls the store's log of a run produced elsewhere (ms). Default 100. */
  readonly pollMs?: number;
  /** Silence on an event stream after which a keep-alive comment goes out (ms). Default 15 000. */
  readonly keepAliveMs?: number;
  /** Receives warnings of runs the handler starts. Default `console`. */
  readonly logger?: Logger;
}

/** What the routes share. */
export interface HandlerContext {
  readonly storage: WorkflowStorage;
  readonly workflows: ReadonlyMap<string, Workflow>;
  readonly live: LiveRuns;
  readonly maxBodyBytes: number;
  readonly pollMs: number;
  readonly keepAliveMs: number;
  readonly logger: Logger;
}

/**
 * A fetch-style handler serving runs over HTTP, for Node's `http` (through `toNodeListener`),
 * Hono, Next.js route handlers, Bun and Deno:
 *
 * - `POST /runs` `{ workflowId, input, sessionId?, runId? }` starts a run: an event stream when
 *   the request accepts `text/event-stream`, else the final `RunResponse` as JSON. The run keeps
 *   running when the client goes away; its events go to the store's log.
 * - `GET /runs/:runId/events` streams a run's events from `Last-Event-ID` (or `?after=`) on,
 *   live until its end, whichever process runs it.
 * - `POST /runs/:runId/resume` `{ payloads }`, `POST /runs/:runId/cancel`.
 * - `GET /runs/:runId` (`{ run, steps, waitingFor? }`), `GET /sessions`, `GET /sessions/:id`
 *   (`{ session, runs }`), and `GET /` the inspector page.
 *
 * Errors answer `{ error, issues? }`: 400 bad JSON or ids, 403 not authorized, 404 unknown
 * workflow or run, 409 a run that cannot do that now (or a session busy for longer than the
 * store's `busyTimeoutMs`), 413 a body over `maxBodyBytes`, 422 invalid input with its issues.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { defineWorkflow } from "buddy-ai";
 * import { createHandler, toNodeListener } from "buddy-ai/http";
 * import { sqliteStorage } from "buddy-ai/sqlite";
 * const greet = defineWorkflow(async function* greet(_ctx, name: string) {
 *   yield `Hello, ${name}!`;
 * });
 * const handler = createHandler({
 *   storage: sqliteStorage({ dbFile: "tmp/buddy.db" }),
 *   workflows: [greet],
 *   authorize: (request) => request.headers.get("x-api-key") === process.env.API_KEY,
 * });
 * createServer(toNodeListener(handler)).listen(3000, "127.0.0.1");
 * ```
 */
export function createHandler(options: HandlerOptions): (request: Request) => Promise<Response> {
  const { storage, authorize } = options;
  if (storage === undefined || typeof storage.openRun !== "function") {
    throw new InvalidOptionError(
      "createHandler needs { storage }: a store from buddy-ai/sqlite or buddy-ai/postgres",
    );
  }
  const workflows = new Map<string, Workflow>();
  for (const workflow of options.workflows ?? []) workflows.set(workflow.id, workflow);
  const base = normalizeBase(options.basePath ?? "");
  const context: HandlerContext = {
    storage,
    workflows,
    live: new LiveRuns(storage, 250),
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    pollMs: options.pollMs ?? 100,
    keepAliveMs: options.keepAliveMs ?? 15_000,
    logger: options.logger ?? console,
  };
  const allowed = async (request: Request, action: HandlerAction): Promise<void> => {
    if (authorize === undefined) {
      if (action === "read") return;
      throw new HttpError(
        403,
        `Not allowed to ${action} runs: the handler has no authorize option`,
      );
    }
    if (!(await authorize(request, action))) {
      throw new HttpError(403, `Not allowed to ${action} runs`);
    }
  };

  return async (request) => {
    try {
      const url = new URL(request.url);
      if (!url.pathname.startsWith(base)) throw new HttpError(404, "Not found");
      const parts = url.pathname
        .slice(base.length)
        .split("/")
        .filter((p) => p !== "");
      const [head, rawId, tail, extra] = parts;
      const method = request.method;
      if (extra !== undefined) throw new HttpError(404, "Not found");
      if (head === undefined && method === "GET") {
        await allowed(request, "read");
        return new Response(inspectorPage(base), {
          headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
        });
      }
      if (head === "sessions" && method === "GET" && tail === undefined) {
        await allowed(request, "read");
        if (rawId === undefined) return json(await readSessions(context, url));
        return json(await readSession(context, pathId("sessionId", rawId)));
      }
      if (head === "runs") {
        if (rawId === undefined) {
          if (method !== "POST") throw notAllowed(method);
          await allowed(request, "start");
          return await startRun(context, request);
        }
        const runId = pathId("runId", rawId);
        if (tail === undefined && method === "GET") {
          await allowed(request, "read");
          return json(await readRun(context, runId));
        }
        if (tail === "events" && method === "GET") {
          await allowed(request, "read");
          return await readEvents(context, request, url, runId);
        }
        if (tail === "resume" && method === "POST") {
          await allowed(request, "resume");
          return await resumeRun(context, request, runId);
        }
        if (tail === "cancel" && method === "POST") {
          await allowed(request, "cancel");
          return await cancelRun(context, runId);
        }
      }
      throw new HttpError(404, "Not found");
    } catch (error) {
      return errorAnswer(toHttpError(error, context.logger));
    }
  };
}

function normalizeBase(base: string): string {
  if (base === "" || base === "/") return "";
  if (!base.startsWith("/")) {
    throw new InvalidOptionError(
      `basePath must start with "/", e.g. "/buddy"; got ${JSON.stringify(base)}`,
    );
  }
  return base.endsWith("/") ? base.slice(0, -1) : base;
}

/** An id from the path, decoded and checked like every id (400 otherwise). */
function pathId(field: "runId" | "sessionId", raw: string): string {
  let id: string;
  try {
    id = decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, `The ${field} in the path is not valid percent-encoding`);
  }
  return checkSessionField(field, id);
}

function notAllowed(method: string): HttpError {
  return new HttpError(405, `Method ${method} is not allowed here`);
}

/** A failure as the status it answers; anything unexpected is a 500 without details. */
function toHttpError(error: unknown, logger: Logger): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof InvalidSessionFieldError) return new HttpError(400, error.message);
  if (error instanceof BuddyError && error.name === "StorageUnavailableError") {
    return new HttpError(503, error.message);
  }
  logger.warn(`buddy-ai/http: ${error instanceof Error ? error.message : String(error)}`);
  return new HttpError(500, "Internal error");
}
