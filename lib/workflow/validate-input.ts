import type { StandardSchemaV1 } from "@standard-schema/spec";
import { InputValidationError } from "../errors.js";

/** Validates `input` against a Standard Schema; throws {@link InputValidationError} listing issues. */
export async function validateInput<Out>(
  workflowName: string,
  schema: StandardSchemaV1<unknown, Out>,
  input: unknown,
): Promise<Out> {
  let result = schema["~standard"].validate(input);
  if (result instanceof Promise) result = await result;
  if (result.issues !== undefined) {
    throw new InputValidationError(
      workflowName,
      result.issues.map((issue) => ({
        message: issue.message,
        path: (issue.path ?? []).map((p) => (typeof p === "object" ? p.key : p)),
      })),
    );
  }
  return result.value;
}
