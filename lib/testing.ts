/**
 * `buddy-ai/testing`: a deterministic model for tests and demos.
 *
 * @example
 * ```ts
 * import { agent } from "buddy-ai";
 * import { scriptedModel } from "buddy-ai/testing";
 * const writer = agent({ model: scriptedModel(["Hello from the script."]) });
 * console.log((await writer.run("Hi")).content); // "Hello from the script."
 * ```
 */
export type { ScriptedModel, ScriptedModelOptions } from "./testing/scripted-model.js";
export { ScriptExhaustedError, scriptedModel } from "./testing/scripted-model.js";
export type {
  ScriptedAnswer,
  ScriptedCall,
  ScriptedRepeat,
  ScriptedResponder,
  ScriptedToolCall,
  ScriptedTurn,
} from "./testing/scripted-turn.js";
