import type { TextMapGetter } from "@opentelemetry/api";
import { activeTracing, type Tracing } from "./otel.js";
import { parseTraceparent } from "./run-trace.js";

const headerGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/**
 * Calls `start` (which starts a run) in the trace an incoming request's `traceparent` header
 * continues, so the run's span is a child of the caller's: through the registered propagator,
 * else read as W3C Trace Context. Nothing changes when tracing is off, when the request has no
 * `traceparent`, or when a span is active already (an HTTP server instrumentation continued it).
 */
export function withIncomingTrace<T>(headers: Headers, start: () => T): T | Promise<T> {
  const tracing = activeTracing();
  if (tracing === undefined) return start();
  if (tracing instanceof Promise) {
    return tracing.then((on) => (on === undefined ? start() : continued(on, headers, start)));
  }
  return continued(tracing, headers, start);
}

function continued<T>(tracing: Tracing, headers: Headers, start: () => T): T {
  const { api } = tracing;
  const active = api.context.active();
  const traceparent = headers.get("traceparent");
  if (traceparent === null || api.trace.getSpan(active) !== undefined) return start();
  let context = api.propagation.extract(active, headers, headerGetter);
  if (api.trace.getSpan(context) === undefined) {
    // No propagator registered: the header is W3C Trace Context, read it as such.
    const remote = parseTraceparent(tracing, traceparent);
    if (remote === undefined) return start();
    const state = headers.get("tracestate");
    context = api.trace.setSpanContext(
      active,
      state === null ? remote : { ...remote, traceState: api.createTraceState(state) },
    );
  }
  return api.context.with(context, start);
}
