import type { Kysely, RawBuilder } from "kysely";
import type { StoreDatabase, StoreTables } from "./store-tables.js";

/** Parameters of the step journal's insert: the step's row, and the lease it needs. */
export interface StepParams {
  rootRunId: string;
  runId: string;
  seq: number;
  name: string;
  kind: string;
  status: string;
  output: string | null;
  error: string | null;
  startedAt: number;
  endedAt: number;
  id: string;
  owner: string;
}

/** The keys of {@link StepParams}, as {@link QueryTemplate} takes them. */
export const stepKeys = [
  "rootRunId",
  "runId",
  "seq",
  "name",
  "kind",
  "status",
  "output",
  "error",
  "startedAt",
  "endedAt",
  "id",
  "owner",
] as const;

/**
 * Journals a step, only while `owner` holds the session's lease (a run that lost its claim
 * writes nothing). `typed` wraps the values where the database needs their types spelled out
 * (Postgres cannot tell a parameter's type in a select list).
 */
export function recordStepQuery(
  db: Kysely<StoreDatabase>,
  t: StoreTables,
  p: StepParams,
  typed: StepValueTypes,
) {
  return db
    .insertInto(t.steps)
    .columns([
      "root_run_id",
      "run_id",
      "seq",
      "name",
      "kind",
      "status",
      "output",
      "error",
      "started_at",
      "ended_at",
    ])
    .expression(
      db
        .selectNoFrom([
          typed.text(p.rootRunId).as("root_run_id"),
          typed.text(p.runId).as("run_id"),
          typed.bigint(p.seq).as("seq"),
          typed.text(p.name).as("name"),
          typed.text(p.kind).as("kind"),
          typed.text(p.status).as("status"),
          typed.json(p.output).as("output"),
          typed.text(p.error as string).as("error"),
          typed.bigint(p.startedAt).as("started_at"),
          typed.bigint(p.endedAt).as("ended_at"),
        ])
        .where((w) =>
          w.exists(
            w
              .selectFrom(t.sessions)
              .select("session_id")
              .where("session_id", "=", p.id)
              .where("lease_owner", "=", p.owner),
          ),
        ),
    );
}

/** How {@link recordStepQuery} spells its values' types for a database. */
export interface StepValueTypes {
  json(value: string | null): RawBuilder<string | null>;
  bigint(value: number): RawBuilder<number>;
  text(value: string): RawBuilder<string>;
}
