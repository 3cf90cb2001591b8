import type { IncomingMessage, ServerResponse } from "node:http";
import { getRequestListener } from "@hono/node-server";

/**
 * A `node:http` request listener serving a fetch-style handler (`createHandler`): the request
 * becomes a web `Request` (its `signal` aborts when the client goes away) and the `Response`,
 * streamed bodies included, is written back as it comes.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { createHandler, toNodeListener } from "buddy-ai/http";
 * import { sqliteStorage } from "buddy-ai/sqlite";
 * const handler = createHandler({ storage: sqliteStorage({ dbFile: "tmp/buddy.db" }), workflows: [] });
 * createServer(toNodeListener(handler)).listen(4000, "127.0.0.1");
 * ```
 */
export function toNodeListener(
  handler: (request: Request) => Promise<Response>,
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  return getRequestListener(handler);
}
