import { BuddyError } from "../errors.js";

/**
 * One problem found by a schema: where (`path`, empty for the root) and what.
 *
 * @example
 * ```ts
 * import type { SchemaIssue } from "buddy-ai";
 * const issue: SchemaIssue = { path: ["user", "age"], message: "Expected number" };
 * ```
 */
export interface SchemaIssue {
  readonly message: string;
  readonly path: readonly PropertyKey[];
}

/**
 * The model kept calling tools for more rounds than the agent's `maxToolRounds` allows.
 *
 * @example
 * ```ts
 * import { ToolLoopLimitError, agent, tool } from "buddy-ai";
 * import { scriptedModel } from "buddy-ai/testing";
 * import { z } from "zod";
 * const ping = tool({ name: "ping", description: "", parameters: z.object({}), execute: () => "pong" });
 * const call = { toolCalls: [{ name: "ping" }] };
 * const looping = agent({ model: scriptedModel([call, call]), tools: [ping], maxToolRounds: 1 });
 * await looping.run("Hi").catch((e) => console.log(e instanceof ToolLoopLimitError)); // true
 * ```
 */
export class ToolLoopLimitError extends BuddyError {
  readonly agentName: string;
  readonly maxToolRounds: number;
  constructor(agentName: string, maxToolRounds: number) {
    super(
      `Agent "${agentName}" stopped after ${maxToolRounds} tool rounds: the model kept calling tools. Raise \`maxToolRounds\` or say in the instructions when to answer.`,
    );
    this.agentName = agentName;
    this.maxToolRounds = maxToolRounds;
  }
}

/**
 * The model's answer did not match the agent's `output` schema (or was not JSON). `text` holds
 * the raw answer, `issues` what is wrong, path by path.
 *
 * @example
 * ```ts
 * import { OutputValidationError, agent } from "buddy-ai";
 * import { scriptedModel } from "buddy-ai/testing";
 * import { z } from "zod";
 * const extract = agent({
 *   model: scriptedModel([{ json: { age: "x" } }]),
 *   output: z.object({ age: z.number() }),
 * });
 * await extract.run("Ada, 36").catch((e) => {
 *   if (e instanceof OutputValidationError) console.log(e.issues);
 * });
 * ```
 */
export class OutputValidationError extends BuddyError {
  readonly agentName: string;
  readonly text: string;
  readonly issues: readonly SchemaIssue[];
  constructor(agentName: string, text: string, issues: readonly SchemaIssue[]) {
    super(
      `Agent "${agentName}" answered with output that does not match its schema:\n${formatIssues(issues, "output")}\nMake the instructions or the schema's descriptions clearer, or loosen the schema.`,
    );
    this.agentName = agentName;
    this.text = text;
    this.issues = issues;
  }
}

/**
 * A schema given as tool `parameters` or agent `output` cannot describe itself as JSON Schema,
 * which the model needs. Use a library implementing Standard JSON Schema (zod ≥ 4.2, arktype…).
 *
 * @example
 * ```ts
 * import { SchemaConversionError, tool } from "buddy-ai";
 * import { z } from "zod";
 * try {
 *   // A Date has no JSON Schema form: ask for an ISO string instead.
 *   const parameters = z.object({ at: z.date() });
 *   tool({ name: "remind", description: "Sets a reminder", parameters, execute: () => "ok" });
 * } catch (error) {
 *   if (error instanceof SchemaConversionError) console.error(error.message);
 * }
 * ```
 */
export class SchemaConversionError extends BuddyError {}

/**
 * An agent or tool was defined with an option it cannot work with (a tool name the model API
 * rejects, two tools with one name, a bad `maxToolRounds`…); the message says which.
 *
 * @example
 * ```ts
 * import { AgentConfigError, agent } from "buddy-ai";
 * import { scriptedModel } from "buddy-ai/testing";
 * try { agent({ model: scriptedModel([]), maxToolRounds: -1 }); }
 * catch (error) { console.log(error instanceof AgentConfigError); } // true
 * ```
 */
export class AgentConfigError extends BuddyError {}

/** `  - output.user.age: Expected number` lines, one per issue. */
export function formatIssues(issues: readonly SchemaIssue[], root: string): string {
  return issues
    .map((i) => `  - ${[root, ...i.path.map(String)].join(".")}: ${i.message}`)
    .join("\n");
}
