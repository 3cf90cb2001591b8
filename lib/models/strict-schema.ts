import { SchemaConversionError } from "../agent/agent-errors.js";

type Schema = Record<string, unknown>;

/**
 * A schema (tool parameters or agent output) cannot be sent with `strict: true`: OpenAI's strict
 * mode accepts only a subset of JSON Schema. `path` says where, and the message what to change
 * (or to leave `strict` off for this model).
 *
 * @example
 * ```ts
 * import { agent } from "buddy-ai";
 * import { StrictSchemaError, openai } from "buddy-ai/openai";
 * import { z } from "zod";
 * const tagger = agent({
 *   model: openai("gpt-4o-mini", { strict: true }),
 *   output: z.object({ counts: z.record(z.string(), z.number()) }), // free-form keys
 * });
 * await tagger.run("Count the words").catch((error) => {
 *   if (error instanceof StrictSchemaError) console.error(error.path, error.message);
 * });
 * ```
 */
export class StrictSchemaError extends SchemaConversionError {
  /** Where in the schema, e.g. `["properties", "counts"]`. */
  readonly path: readonly string[];
  constructor(what: string, path: readonly string[], problem: string) {
    const at = path.length === 0 ? "at its root" : `at ${path.join(".")}`;
    super(
      `${what} cannot be sent in strict mode: ${at}, ${problem}. Change the schema, or create the model without \`strict: true\`.`,
    );
    this.path = path;
  }
}

/** Keywords strict mode accepts, kept as they are (subschemas are converted). */
const kept = new Set([
  "type",
  "description",
  "title",
  "enum",
  "const",
  "anyOf",
  "$ref",
  "$defs",
  "definitions",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "minItems",
  "maxItems",
  "pattern",
  "format",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
]);
/** Annotations strict mode does not take; dropped (our own validation still applies them). */
const dropped = new Set([
  "$schema",
  "$id",
  "$comment",
  "default",
  "examples",
  "readOnly",
  "writeOnly",
  "deprecated",
  "contentEncoding",
  "contentMediaType",
]);
/** Constraints strict mode does not take: moved into the description, checked on our side. */
const described = new Set([
  "minLength",
  "maxLength",
  "uniqueItems",
  "minProperties",
  "maxProperties",
]);

const cache = new WeakMap<Schema, Schema>();

/**
 * `schema` as OpenAI's strict mode accepts it: `additionalProperties: false` on every object,
 * every property required (optional ones made nullable: {@link absentNulls} reads a `null` the
 * model sends for them as absent), `oneOf` as `anyOf`, annotations dropped, unsupported
 * constraints moved into the description. Throws {@link StrictSchemaError} for what strict mode
 * cannot express.
 */
export function strictSchema(schema: Schema, what: string): Schema {
  const known = cache.get(schema);
  if (known !== undefined) return known;
  if (schema.type !== "object" || schema.anyOf !== undefined || schema.oneOf !== undefined) {
    throw new StrictSchemaError(
      what,
      [],
      "the schema must be a single object (`z.object({...})`), not a union or another type",
    );
  }
  const converted = convert(schema, [], what);
  cache.set(schema, converted);
  return converted;
}

function convert(node: unknown, path: string[], what: string): Schema {
  if (node === null || typeof node !== "object" || Array.isArray(node)) {
    throw new StrictSchemaError(
      what,
      path,
      "a schema must be an object (`true` / `false` are not)",
    );
  }
  let source = node as Schema;
  if (Array.isArray(source.allOf)) {
    if (source.allOf.length !== 1) {
      throw new StrictSchemaError(
        what,
        path,
        "`allOf` (an intersection, `z.intersection` / `.and()`) is not supported; merge the objects with `.extend()`",
      );
    }
    const { allOf, ...rest } = source;
    source = { ...(allOf[0] as Schema), ...rest };
  }
  const out: Schema = {};
  const notes: string[] = [];
  for (const [key, value] of Object.entries(source)) {
    if (dropped.has(key)) continue;
    if (described.has(key)) {
      notes.push(`${key}: ${JSON.stringify(value)}`);
      continue;
    }
    if (key === "oneOf") {
      out.anyOf = branches(value, [...path, "oneOf"], what);
      continue;
    }
    if (!kept.has(key)) {
      throw new StrictSchemaError(what, path, unsupported(key));
    }
    switch (key) {
      case "anyOf":
        out.anyOf = branches(value, [...path, "anyOf"], what);
        break;
      case "$defs":
      case "definitions":
        out[key] = Object.fromEntries(
          Object.entries(value as Schema).map(([name, sub]) => [
            name,
            convert(sub, [...path, key, name], what),
          ]),
        );
        break;
      case "items":
        if (Array.isArray(value)) {
          throw new StrictSchemaError(
            what,
            path,
            "tuples (`items` as a list, `z.tuple`) are not supported; use an object or an array of one type",
          );
        }
        out.items = convert(value, [...path, "items"], what);
        break;
      case "properties":
      case "required":
      case "additionalProperties":
        break; // below, with the object as a whole
      default:
        out[key] = value;
    }
  }
  if (isObject(source)) objectPart(source, out, path, what);
  if (
    out.type === undefined &&
    out.anyOf === undefined &&
    out.$ref === undefined &&
    out.enum === undefined &&
    out.const === undefined
  ) {
    throw new StrictSchemaError(
      what,
      path,
      "the value may be anything (`z.unknown()`, `z.any()`), which strict mode does not allow; give it a type",
    );
  }
  if (notes.length > 0) {
    const text = `(${notes.join(", ")})`;
    out.description = typeof out.description === "string" ? `${out.description} ${text}` : text;
  }
  return out;
}

function objectPart(source: Schema, out: Schema, path: string[], what: string): void {
  const extra = source.additionalProperties;
  if (extra !== undefined && extra !== false) {
    throw new StrictSchemaError(
      what,
      path,
      "an object with free-form keys (`z.record`, `.passthrough()`, `additionalProperties`) is not supported; name every key (`z.object`) or use an array of `{ key, value }` objects",
    );
  }
  const properties = (source.properties ?? {}) as Schema;
  const required = new Set(Array.isArray(source.required) ? (source.required as string[]) : []);
  const converted: Schema = {};
  for (const [name, sub] of Object.entries(properties)) {
    const strict = convert(sub, [...path, "properties", name], what);
    converted[name] = required.has(name) ? strict : nullable(strict);
  }
  out.type ??= "object";
  out.properties = converted;
  out.required = Object.keys(converted);
  out.additionalProperties = false;
}

function branches(value: unknown, path: string[], what: string): Schema[] {
  if (!Array.isArray(value)) throw new StrictSchemaError(what, path, "expected a list of schemas");
  return value.map((sub, i) => convert(sub, [...path, String(i)], what));
}

function isObject(schema: Schema): boolean {
  const type = schema.type;
  return (
    type === "object" ||
    (Array.isArray(type) && type.includes("object")) ||
    schema.properties !== undefined
  );
}

function unsupported(key: string): string {
  switch (key) {
    case "not":
      return "`not` is not supported";
    case "if":
    case "then":
    case "else":
      return "conditional schemas (`if` / `then` / `else`) are not supported";
    case "patternProperties":
    case "propertyNames":
      return `\`${key}\` (keys matching a pattern, \`z.record\`) is not supported; name every key`;
    case "prefixItems":
      return "tuples (`prefixItems`, `z.tuple`) are not supported; use an object or an array of one type";
    default:
      return `the keyword \`${key}\` is not supported`;
  }
}

/** Whether `schema` accepts `null`. */
export function acceptsNull(schema: unknown): boolean {
  if (schema === null || typeof schema !== "object") return schema === true;
  const s = schema as Schema;
  if (s.type === "null" || (Array.isArray(s.type) && s.type.includes("null"))) return true;
  if (s.const === null || (Array.isArray(s.enum) && s.enum.includes(null))) return true;
  for (const key of ["anyOf", "oneOf"]) {
    const list = s[key];
    if (Array.isArray(list) && list.some(acceptsNull)) return true;
  }
  return false;
}

/** `schema`, also accepting `null`. */
function nullable(schema: Schema): Schema {
  if (acceptsNull(schema)) return schema;
  if (Array.isArray(schema.anyOf)) return { ...schema, anyOf: [...schema.anyOf, { type: "null" }] };
  const withNullEnum = Array.isArray(schema.enum) ? { enum: [...schema.enum, null] } : {};
  const simple = schema.const === undefined && schema.type !== "object" && schema.type !== "array";
  if (typeof schema.type === "string" && simple) {
    return { ...schema, type: [schema.type, "null"], ...withNullEnum };
  }
  if (Array.isArray(schema.type) && simple) {
    return { ...schema, type: [...schema.type, "null"], ...withNullEnum };
  }
  const { description, ...rest } = schema;
  return {
    ...(description === undefined ? {} : { description }),
    anyOf: [rest, { type: "null" }],
  };
}

/**
 * `value` (parsed JSON) with the `null`s removed that stand for an absent optional property: a
 * property `schema` does not require and whose own schema does not accept `null` (what a model
 * in strict mode sends for an optional field). Other values are left as they are.
 */
export function absentNulls(schema: Schema, value: unknown): unknown {
  return strip(schema, value, schema, 0);
}

function strip(schema: unknown, value: unknown, root: Schema, depth: number): unknown {
  if (depth > 64 || schema === null || typeof schema !== "object") return value;
  let s = schema as Schema;
  if (typeof s.$ref === "string") s = resolve(s.$ref, root) ?? s;
  if (Array.isArray(value)) {
    const items = s.items;
    if (items === undefined || Array.isArray(items)) return value;
    return value.map((v) => strip(items, v, root, depth + 1));
  }
  if (value === null || typeof value !== "object") return value;
  const union = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (Array.isArray(union)) {
    const branch = union.find((b) => fits(b, value as Schema, root));
    return branch === undefined ? value : strip(branch, value, root, depth + 1);
  }
  const properties = s.properties as Schema | undefined;
  if (properties === undefined) return value;
  const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
  const out: Schema = {};
  for (const [key, v] of Object.entries(value)) {
    const sub = properties[key];
    if (v === null && sub !== undefined && !required.has(key) && !acceptsNull(sub)) continue;
    out[key] = sub === undefined ? v : strip(sub, v, root, depth + 1);
  }
  return out;
}

/** Whether an object branch of a union fits `value`: its required keys and constants match. */
function fits(branch: unknown, value: Schema, root: Schema): boolean {
  if (branch === null || typeof branch !== "object") return false;
  let b = branch as Schema;
  if (typeof b.$ref === "string") b = resolve(b.$ref, root) ?? b;
  const properties = b.properties as Record<string, Schema> | undefined;
  if (properties === undefined) return false;
  const required = Array.isArray(b.required) ? (b.required as string[]) : [];
  if (!required.every((key) => key in value)) return false;
  return Object.entries(properties).every(
    ([key, sub]) => sub?.const === undefined || value[key] === sub.const,
  );
}

function resolve(ref: string, root: Schema): Schema | undefined {
  const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  if (match === null) return ref === "#" ? root : undefined;
  const defs = root[match[1] as string] as Schema | undefined;
  return defs?.[decodeURIComponent(match[2] as string)] as Schema | undefined;
}
