import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { Model, ResponseFormat, ToolDefinition } from "../models/model.js";
import type { Tool } from "./tool.js";

/** An agent's definition, checked and prepared once by `agent()`; never mutated after. */
export interface AgentSpec<Output> {
  readonly name: string;
  readonly model: Model;
  readonly instructions: string | undefined;
  readonly tools: ReadonlyMap<string, Tool>;
  readonly toolDefinitions: readonly ToolDefinition[];
  readonly output: StandardSchemaV1<unknown, Output> | undefined;
  readonly responseFormat: ResponseFormat | undefined;
  readonly maxToolRounds: number;
}
