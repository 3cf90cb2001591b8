/**
 * Options of {@link configureTracing}.
 *
 * @example
 * ```ts
 * import { type TracingOptions, configureTracing } from "buddy-ai";
 * const options: TracingOptions = { recordContent: process.env.NODE_ENV !== "production" };
 * configureTracing(options);
 * ```
 */
export interface TracingOptions {
  /**
   * Record message contents on spans: run input and output, prompts and answers of model calls,
   * tool arguments and results. Default: false, unless the environment variable
   * `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` is `true` (the GenAI conventions' switch).
   */
  readonly recordContent?: boolean;
}

/** What {@link configureTracing} set; `version` counts the changes (spans read it once per run). */
export const tracingSettings: { recordContent: boolean | undefined; version: number } = {
  recordContent: undefined,
  version: 0,
};

/**
 * Sets how buddy-ai traces (see README, "Tracing"). Spans are only made while an OpenTelemetry
 * SDK is registered; this decides what they carry.
 *
 * @example
 * ```ts
 * import { configureTracing } from "buddy-ai";
 * configureTracing({ recordContent: true }); // prompts, answers, tool arguments on spans
 * ```
 */
export function configureTracing(options: TracingOptions): void {
  if (options.recordContent !== undefined) {
    tracingSettings.recordContent = options.recordContent === true;
  }
  tracingSettings.version++;
}
