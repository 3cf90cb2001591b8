import { StorageConfigError } from "../../errors.js";

const identifier = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Checks the `schema` option: a plain identifier, not in the `pg_` namespace PostgreSQL keeps. */
export function schemaName(schema: string): string {
  if (typeof schema !== "string" || !identifier.test(schema)) {
    throw new StorageConfigError(
      `schema ${JSON.stringify(schema)} is not a plain SQL identifier; use 1–63 letters, digits ` +
        `and underscores, not starting with a digit (e.g. "buddy")`,
    );
  }
  if (schema.startsWith("pg_")) {
    throw new StorageConfigError(
      `schema "${schema}" starts with "pg_", which PostgreSQL reserves for system schemas; ` +
        `choose another name (e.g. "buddy")`,
    );
  }
  return schema;
}
