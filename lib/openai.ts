/**
 * `buddy-ai/openai`: models behind the official `openai` SDK (any OpenAI-compatible server).
 *
 * @example
 * ```ts
 * import { agent } from "buddy-ai";
 * import { openai } from "buddy-ai/openai";
 * const writer = agent({ name: "writer", model: openai("gpt-4o-mini") });
 * ```
 */
export type { ModelErrorOptions, ModelStreamFailure } from "./models/model-errors.js";
export {
  ModelError,
  ModelHTTPError,
  ModelStreamError,
  ModelTimeoutError,
} from "./models/model-errors.js";
export type { OpenAIModel, OpenAIModelOptions } from "./models/openai-model.js";
export { openai } from "./models/openai-model.js";
export { StrictSchemaError } from "./models/strict-schema.js";
