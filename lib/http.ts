/**
 * Serving runs over HTTP: `createHandler` (a fetch-style handler with the run routes and the
 * inspector page), `toSSEResponse` and `toNodeListener`.
 *
 * @module
 */
export {
  createHandler,
  type HandlerAction,
  type HandlerOptions,
} from "./http/handler.js";
export { toNodeListener } from "./http/node-listener.js";
export { toSSEResponse } from "./http/sse.js";
