import type { StandardJSONSchemaV1, StandardSchemaV1 } from "@standard-schema/spec";
import { SchemaConversionError, type SchemaIssue } from "./agent-errors.js";

/**
 * The JSON Schema (draft-07) of what `schema` accepts, through the Standard JSON Schema interface
 * (`schema["~standard"].jsonSchema.input`). The `$schema` key is left out: model APIs want the
 * bare object schema.
 */
export function toJsonSchema(schema: StandardSchemaV1, what: string): Record<string, unknown> {
  const props = schema["~standard"] as Partial<StandardJSONSchemaV1.Props>;
  const converter = props.jsonSchema;
  if (typeof converter?.input !== "function") {
    throw new SchemaConversionError(
      `${what}: the ${props.vendor ?? "given"} schema cannot produce a JSON Schema; use a schema library that implements Standard JSON Schema (zod ≥ 4.2, arktype ≥ 2.1.20, or valibot through @valibot/to-json-schema's toStandardJsonSchema)`,
    );
  }
  let json: Record<string, unknown>;
  try {
    json = converter.input({ target: "draft-07" });
  } catch (error) {
    throw new SchemaConversionError(
      `${what}: the schema could not be converted to JSON Schema (${(error as Error).message}); keep to types JSON can express (no transforms on the input side, no Date, Map or functions)`,
      { cause: error },
    );
  }
  const { $schema: _ignored, ...rest } = json;
  return rest;
}

/** Validates `value` against `schema`; the typed value, or the issues with plain paths. */
export async function validate<T>(
  schema: StandardSchemaV1<unknown, T>,
  value: unknown,
): Promise<{ readonly value: T } | { readonly issues: readonly SchemaIssue[] }> {
  const result = await schema["~standard"].validate(value);
  if (result.issues === undefined) return { value: result.value };
  return {
    issues: result.issues.map((i) => ({
      message: i.message,
      path: (i.path ?? []).map((p) => (typeof p === "object" ? p.key : p)),
    })),
  };
}
