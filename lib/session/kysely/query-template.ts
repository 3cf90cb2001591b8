import type { Compilable, CompiledQuery, QueryResult } from "kysely";

const marker = "\u0000buddy-ai-parameter:";

/** What runs a compiled query: a `Kysely` instance or a transaction. */
export interface QueryRunner {
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

/** Where each compiled parameter comes from: a named parameter, or a constant of the query. */
type Slot<P> = { readonly key: keyof P } | { readonly value: unknown };

/**
 * A query built and compiled by Kysely once, then run many times with new parameter values.
 * Building and compiling a query costs more than SQLite takes to run a small one, and the
 * store's hot path (claim, load, save) runs the same few queries on every run.
 *
 * `build` receives a stand-in for each named parameter and must pass it to the builder as a
 * plain value (not inside an expression that inspects it); every other value in the query is a
 * constant of the template.
 *
 * For example `const read = new QueryTemplate(["id"], (p: { id: string }) =>
 * db.selectFrom("sessions").selectAll().where("session_id", "=", p.id))`, then
 * `await read.execute(db, { id: "s1" })` for each session.
 */
export class QueryTemplate<P extends object, R> {
  readonly #compiled: CompiledQuery<R>;
  readonly #slots: readonly Slot<P>[];

  constructor(keys: readonly (keyof P & string)[], build: (params: P) => Compilable<R>) {
    // The stand-ins are strings whatever the parameter's type: they only mark positions.
    const standIns = Object.fromEntries(keys.map((key) => [key, `${marker}${key}`])) as P;
    this.#compiled = build(standIns).compile();
    this.#slots = this.#compiled.parameters.map((value): Slot<P> => {
      if (typeof value === "string" && value.startsWith(marker)) {
        return { key: value.slice(marker.length) as keyof P };
      }
      return { value };
    });
    for (const key of keys) {
      if (!this.#slots.some((slot) => "key" in slot && slot.key === key)) {
        throw new Error(`QueryTemplate: parameter "${key}" does not appear in the query`);
      }
    }
  }

  /** The compiled SQL text. */
  get sql(): string {
    return this.#compiled.sql;
  }

  /** The query's parameter values for `params`, in the order of the SQL's placeholders. */
  parameters(params: P): unknown[] {
    const slots = this.#slots;
    const values = new Array<unknown>(slots.length);
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i] as Slot<P>;
      values[i] = "key" in slot ? params[slot.key] : slot.value;
    }
    return values;
  }

  /** Runs the query with `params` on `db` (a Kysely instance or a transaction). */
  execute(db: QueryRunner, params: P): Promise<QueryResult<R>> {
    return db.executeQuery({ ...this.#compiled, parameters: this.parameters(params) });
  }
}
