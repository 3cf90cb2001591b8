import type { Insertable, Selectable } from "kysely";
import { SessionDecodeError, UnstorableValueError } from "../../errors.js";
import type { Message } from "../../run/message.js";
import type { PendingWait } from "../../run/run-event.js";
import type { RunMetrics } from "../../run/run-metrics.js";
import { RunResponse } from "../../run/run-response.js";
import { copyPlain, isPlainText } from "../plain-copy.js";
import { decodeStoredValue, encodeStoredValue } from "../state-codec.js";
import type { RunTable } from "./run-table.js";
import { toNumber } from "./session-table.js";

/** A run's value columns, encoded (`input` only for child runs: the run's own is stored at start). */
export interface EncodedRun {
  readonly input?: string;
  readonly content: string;
  readonly metrics: string;
  readonly messages: string;
  readonly extra_data: string;
}

/** Encoded `{}`, `[]` and `undefined`, made once. */
export const encodedEmpty = {
  object: encodeStoredValue({}, ""),
  array: encodeStoredValue([], ""),
  undefined: encodeStoredValue(undefined, ""),
} as const;

/**
 * Encodes the value fields of `runs[index]` (its input too when `index > 0`). Unstorable values
 * throw `UnstorableValueError` named by path (`content.x` for the run itself, `runs[2].content.x`
 * for its second child) — unless `lenient`, where they are stored as `undefined`, so a failed or
 * cancelled run can always be recorded.
 */
export function encodeRun(run: RunResponse, index: number, lenient: boolean): EncodedRun {
  const prefix = index === 0 ? "" : `runs[${index}].`;
  const encode = (value: unknown, field: string): string => {
    if (isEmpty(value)) return Array.isArray(value) ? encodedEmpty.array : encodedEmpty.object;
    try {
      return encodeStoredValue(value, `${prefix}${field}`);
    } catch (error) {
      if (lenient && error instanceof UnstorableValueError) return encodedEmpty.undefined;
      throw error;
    }
  };
  const values = {
    content: encode(run.content, "content"),
    metrics: encode(run.metrics, "metrics"),
    messages: encode(run.messages, "messages"),
    extra_data: encode(run.extraData, "extraData"),
  };
  return index === 0 ? values : { input: encode(run.input, "input"), ...values };
}

/** An empty array or plain object: encoded once, up front (most runs have no messages). */
function isEmpty(value: unknown): boolean {
  if (Array.isArray(value))
    return value.length === 0 && Object.getPrototypeOf(value) === Array.prototype;
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype) return false;
  for (const _ in value) return false;
  return Object.getOwnPropertySymbols(value).length === 0;
}

/** The row of a child run, written when its parent ends. */
export function childRunRow(
  run: RunResponse,
  encoded: EncodedRun,
  sessionId: string,
  seq: number,
  position: number,
  now: number,
): Insertable<RunTable> {
  return {
    run_id: run.runId,
    session_id: sessionId,
    parent_run_id: run.parentRunId ?? null,
    workflow_id: run.workflowId,
    seq,
    position,
    status: run.status,
    content_type: run.contentType,
    input: encoded.input ?? encodedEmpty.undefined,
    content: encoded.content,
    metrics: encoded.metrics,
    messages: encoded.messages,
    extra_data: encoded.extra_data,
    error: run.error ?? null,
    created_at: run.createdAt,
    updated_at: now,
  };
}

/** Turns a run row back into a {@link RunResponse}; `SessionDecodeError` when it cannot. */
export function decodeRun(row: Selectable<RunTable>): RunResponse {
  const where = (column: string) => `column ${column} of run "${row.run_id}"`;
  const id = row.session_id;
  return new RunResponse({
    runId: row.run_id,
    parentRunId: row.parent_run_id ?? undefined,
    sessionId: id,
    workflowId: row.workflow_id,
    status: row.status,
    contentType: row.content_type,
    input: decodeColumn(id, row.input, where, "input"),
    content: decodeColumn(id, row.content, where, "content"),
    metrics: decodeColumn(id, row.metrics, where, "metrics", "object") as RunMetrics | undefined,
    messages: decodeColumn(id, row.messages, where, "messages", "array") as Message[] | undefined,
    extraData: decodeColumn(id, row.extra_data, where, "extra_data", "object") as
      | Record<string, unknown>
      | undefined,
    error: row.error ?? undefined,
    createdAt: toNumber(row.created_at),
    finishedAt: row.status === "running" ? undefined : toNumber(row.updated_at),
  });
}

/**
 * A completed top-level run of `sessionId` as the history query reads it: the values of
 * `historyColumns` (run id, workflow id, content type, input, content, metrics, messages, extra
 * data, creation time), in that order.
 */
export type HistoryRow = readonly [
  runId: string,
  workflowId: string,
  contentType: string,
  input: string,
  content: string,
  metrics: string,
  messages: string,
  extraData: string,
  createdAt: number | string | bigint,
];

/** A history row's input, content, metrics, messages and extra data, decoded. */
type RowValues = readonly [unknown, unknown, unknown, unknown, unknown];

/**
 * The values of history rows decoded once, when they are plain JSON data: a session's history
 * rows stay the same objects from run to run (see `HistoryCache`), and each next run copies
 * them instead of decoding their text again.
 */
const decodedRows = new WeakMap<HistoryRow, RowValues>();

/** Turns a {@link HistoryRow} back into a {@link RunResponse}; `SessionDecodeError` when it cannot. */
export function decodeHistoryRow(sessionId: string, row: HistoryRow): RunResponse {
  const [runId, , , input, content, metrics, messages, extraData] = row;
  let values = decodedRows.get(row);
  if (values === undefined) {
    const where = (column: string) => `column ${column} of run "${runId}"`;
    const decoded: RowValues = [
      decodeColumn(sessionId, input, where, "input"),
      decodeColumn(sessionId, content, where, "content"),
      decodeColumn(sessionId, metrics, where, "metrics", "object"),
      decodeColumn(sessionId, messages, where, "messages", "array"),
      decodeColumn(sessionId, extraData, where, "extra_data", "object"),
    ];
    const texts = [input, content, metrics, messages, extraData];
    // Not plain: decoded for this response alone.
    if (!texts.every(isPlainText)) return historyResponse(sessionId, row, decoded);
    decodedRows.set(row, decoded);
    values = decoded;
  }
  return historyResponse(sessionId, row, values.map(copyPlain) as unknown as RowValues);
}

/** The response of history row `row` with `values` (its own: kept as they are). */
function historyResponse(sessionId: string, row: HistoryRow, values: RowValues): RunResponse {
  const [runId, workflowId, contentType, , , , , , createdAt] = row;
  const [input, content, metrics, messages, extraData] = values;
  const response = new RunResponse({
    runId,
    sessionId,
    workflowId,
    status: "completed",
    contentType,
    input,
    content,
    createdAt: toNumber(createdAt),
  });
  // The constructor would copy these.
  if (metrics !== undefined) response.metrics = metrics as RunMetrics;
  if (messages !== undefined) response.messages = messages as Message[];
  if (extraData !== undefined) response.extraData = extraData as Record<string, unknown>;
  return response;
}

/** What a suspended run waits for, as stored; `SessionDecodeError` when it cannot be read. */
export function decodeWaits(
  sessionId: string,
  runId: string,
  text: string | null,
): readonly PendingWait[] {
  if (text === null) return [];
  const value = decodeColumn(
    sessionId,
    text,
    (c) => `column ${c} of run "${runId}"`,
    "waiting_for",
  );
  if (!Array.isArray(value)) {
    throw new SessionDecodeError(sessionId, `column waiting_for of run "${runId}"`);
  }
  return value as PendingWait[];
}

/** One value column, decoded and checked against its `shape`; `SessionDecodeError` when it fails. */
function decodeColumn(
  sessionId: string,
  text: string,
  where: (column: string) => string,
  column: string,
  shape?: "object" | "array",
): unknown {
  let value: unknown;
  try {
    value = decodeStoredValue(text);
  } catch (error) {
    throw new SessionDecodeError(sessionId, where(column), { cause: error });
  }
  const fits =
    shape === undefined ||
    value === undefined ||
    (shape === "array"
      ? Array.isArray(value)
      : typeof value === "object" && value !== null && !Array.isArray(value));
  if (!fits) throw new SessionDecodeError(sessionId, where(column));
  return value;
}
