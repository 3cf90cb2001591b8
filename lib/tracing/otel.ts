import type * as OtelApi from "@opentelemetry/api";
import type { Context, Tracer } from "@opentelemetry/api";
import { tracingSettings } from "./configure.js";

/** `@opentelemetry/api` as loaded (an optional peer dependency). */
export type Otel = typeof OtelApi;

/**
 * What tracing runs with while a tracer provider is registered: the API, buddy-ai's tracer,
 * and whether message contents may be recorded.
 */
export interface Tracing {
  readonly api: Otel;
  readonly tracer: Tracer;
  readonly recordContent: boolean;
}

const tracerName = "buddy-ai";

/** The API once loaded; `null` when the package is absent; undefined before it was asked for. */
let loaded: Otel | null | undefined;
let loading: Promise<Otel | null> | undefined;
/** The provider and settings tracing was last made for, and that tracing. */
let current:
  | { readonly provider: unknown; readonly version: number; readonly tracing: Tracing }
  | undefined;
/** The no-op provider of the loaded API copy (what an unset global provider delegates to). */
let noopProvider: unknown;

/**
 * Tracing, when `@opentelemetry/api` is installed and a real tracer provider is registered;
 * undefined otherwise. Synchronous once the API has been loaded (the first call starts loading
 * it and returns the promise): after that, a check costs a property read or two.
 */
export function activeTracing(): Tracing | undefined | Promise<Tracing | undefined> {
  if (loaded === null) return undefined;
  if (loaded !== undefined) return tracingOf(loaded);
  loading ??= load();
  return loading.then((api) => (api === null ? undefined : tracingOf(api)));
}

async function load(): Promise<Otel | null> {
  try {
    const api = (await import("@opentelemetry/api")) as Otel & { default?: Otel };
    loaded = typeof api.trace?.getTracerProvider === "function" ? api : (api.default ?? null);
  } catch {
    loaded = null; // not installed: tracing stays off, at no cost
  }
  if (loaded !== null) noopProvider = new loaded.ProxyTracerProvider().getDelegate();
  return loaded;
}

/** Tracing when the global provider is a real one (not the API's no-op). */
function tracingOf(api: Otel): Tracing | undefined {
  const global = api.trace.getTracerProvider() as { getDelegate?: () => unknown };
  const provider = typeof global.getDelegate === "function" ? global.getDelegate() : global;
  if (provider === noopProvider || isNoop(provider)) return undefined;
  const { version } = tracingSettings;
  if (current !== undefined && current.provider === provider && current.version === version) {
    return current.tracing;
  }
  const tracing: Tracing = {
    api,
    tracer: api.trace.getTracer(tracerName),
    recordContent:
      tracingSettings.recordContent ??
      process.env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT === "true",
  };
  current = { provider, version, tracing };
  return tracing;
}

/** The no-op provider of another copy of the API (registered through that copy). */
function isNoop(provider: unknown): boolean {
  return (
    (provider as { constructor?: { name?: string } })?.constructor?.name === "NoopTracerProvider"
  );
}

/** The active context when it carries a span; undefined otherwise. */
export function activeSpanContext(api: Otel): Context | undefined {
  const active = api.context.active();
  return api.trace.getSpan(active) === undefined ? undefined : active;
}
