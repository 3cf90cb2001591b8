import { absentNulls } from "../models/strict-schema.js";
import type { ToolCall } from "../run/message.js";
import { formatIssues } from "./agent-errors.js";
import { validate } from "./standard-schema.js";
import type { Tool } from "./tool.js";

/** How one tool call went: what the events show and what goes back to the model. */
export interface ToolOutcome {
  /** The value `execute` returned, or the error message. */
  readonly result: unknown;
  readonly isError: boolean;
  /** The tool message's content for the model. */
  readonly content: string;
}

/** The call's arguments parsed from JSON, or the raw string when they are not JSON. */
export function parseArgs(call: ToolCall): unknown {
  try {
    return JSON.parse(call.arguments === "" ? "{}" : call.arguments);
  } catch {
    return call.arguments;
  }
}

/**
 * Runs one tool call. Unknown tools, arguments that are not JSON or fail the schema, and errors
 * thrown by the tool become error results for the model; only an aborted `signal` rejects.
 */
export async function callTool(
  tools: ReadonlyMap<string, Tool>,
  call: ToolCall,
  signal: AbortSignal,
): Promise<ToolOutcome> {
  const found = tools.get(call.name);
  if (found === undefined) {
    const names = [...tools.keys()].join(", ") || "none";
    return failure(`Unknown tool "${call.name}". Available tools: ${names}.`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(call.arguments === "" ? "{}" : call.arguments);
  } catch (error) {
    return failure(
      `Invalid arguments for tool "${call.name}": not valid JSON (${(error as Error).message}). Send a JSON object that matches the tool's parameters.`,
    );
  }
  // A model in strict mode sends `null` for an optional argument it leaves out.
  const checked = await validate(found.parameters, absentNulls(found.jsonSchema, raw));
  if ("issues" in checked) {
    return failure(
      `Invalid arguments for tool "${call.name}":\n${formatIssues(checked.issues, "arguments")}\nCall it again with arguments that match its parameters.`,
    );
  }
  try {
    const result = await found.execute(checked.value, { signal, toolCallId: call.id });
    return { result, isError: false, content: toContent(result) };
  } catch (error) {
    signal.throwIfAborted();
    const message = error instanceof Error ? error.message : String(error);
    return failure(`Tool "${call.name}" failed: ${message}`);
  }
}

function failure(message: string): ToolOutcome {
  return { result: message, isError: true, content: message };
}

function toContent(result: unknown): string {
  if (typeof result === "string") return result;
  if (result === undefined) return "";
  try {
    return JSON.stringify(result) ?? String(result);
  } catch {
    return String(result);
  }
}
