import type { StandardSchemaV1 } from "@standard-schema/spec";
import { InvalidOptionError, WaitTimeoutError } from "../errors.js";
import { validateInput } from "../workflow/validate-input.js";
import type { PendingWait } from "./run-event.js";
import { journal, replayed, type StepHost } from "./run-step.js";

/**
 * Options of `ctx.waitFor`: a Standard Schema (zod, valibot, arktype…) the answer must satisfy
 * (`resume` refuses one that does not, with `InputValidationError`), and a prompt for whoever
 * answers (stored with the suspended run and sent in `WorkflowSuspended`).
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import type { WaitOptions } from "buddy-ai";
 * const options: WaitOptions<{ approved: boolean }> = {
 *   schema: z.object({ approved: z.boolean() }),
 *   prompt: "Refund 12 EUR?",
 * };
 * ```
 */
export interface WaitOptions<T> {
  readonly schema?: StandardSchemaV1<unknown, T>;
  readonly prompt?: unknown;
  /**
   * How long to wait (ms, from when the run first suspended on it). Once past, `recoverRuns`
   * continues the run and the wait fails with `WaitTimeoutError`.
   */
  readonly timeoutMs?: number;
}

/**
 * Thrown by `ctx.waitFor` when its answer has not come: it unwinds the workflow function to the
 * runtime, which suspends the run. Let it pass (do not catch it, or rethrow it): the run
 * replays from the top when it is resumed. `cause` is set when a resume's answer was refused.
 */
export class Suspension extends Error {
  constructor(
    readonly waits: readonly PendingWait[],
    options?: ErrorOptions,
  ) {
    super(`The run waits for ${waits.map((w) => `"${w.name}"`).join(", ")}`, options);
    this.name = "Suspension";
  }
}

/** What a wait needs of its run, beyond a step's. */
export interface WaitHost extends StepHost {
  readonly workflowName: string;
  /** `resume`'s payloads, by wait name. */
  readonly answers: Readonly<Record<string, unknown>> | undefined;
  /** The waits the run could not answer, when it is about to suspend. */
  readonly pendingWaits: PendingWait[];
}

/**
 * One `ctx.waitFor` at position `seq`: its journaled answer when replayed; the payload `resume`
 * brought (checked with the schema, then journaled); a `WaitTimeoutError` once its deadline
 * passed (journaled too); otherwise a {@link Suspension} listing every wait still pending.
 */
export function runWait<T>(
  host: WaitHost,
  seq: number,
  name: string,
  options: WaitOptions<T> | undefined,
): Promise<T> {
  const recorded = replayed(host, seq, name);
  if (recorded !== undefined) {
    if (recorded.status === "error") return Promise.reject(timedOut(name, options));
    return Promise.resolve(recorded.output as T);
  }
  const { answers } = host;
  if (answers !== undefined && name in answers)
    return answer(host, seq, name, answers[name], options);
  const deadline = deadlineOf(host, name, options);
  if (deadline !== undefined && Date.now() >= deadline) return timeOut(host, seq, name, options);
  const prompt = options?.prompt;
  host.pendingWaits.push(deadline === undefined ? { name, prompt } : { name, prompt, deadline });
  return Promise.reject(new Suspension([...host.pendingWaits]));
}

/** When the wait `name` times out: as stored when the run first suspended on it, or from now. */
function deadlineOf(
  host: WaitHost,
  name: string,
  options: WaitOptions<unknown> | undefined,
): number | undefined {
  const timeoutMs = options?.timeoutMs;
  if (timeoutMs === undefined) return undefined;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new InvalidOptionError(
      `ctx.waitFor("${name}"): timeoutMs must be a number of milliseconds ≥ 0, got ${timeoutMs}`,
    );
  }
  const stored = host.binding?.suspendedWaits?.find((w) => w.name === name)?.deadline;
  return stored ?? Date.now() + timeoutMs;
}

/** The payload `resume` brought for `name`, checked and journaled. */
async function answer<T>(
  host: WaitHost,
  seq: number,
  name: string,
  payload: unknown,
  options: WaitOptions<T> | undefined,
): Promise<T> {
  const startedAt = Date.now();
  let value = payload as T;
  if (options?.schema !== undefined) {
    try {
      const label = `${host.workflowName}: wait "${name}"`;
      value = (await validateInput(label, options.schema, payload)) as T;
    } catch (error) {
      // A refused answer: the run stays suspended, waiting for this again.
      host.pendingWaits.push({ name, prompt: options.prompt });
      throw new Suspension([...host.pendingWaits], { cause: error });
    }
  }
  const endedAt = Date.now();
  const step = { runId: host.runId, seq, name, kind: "wait", startedAt, endedAt };
  await journal(host, { ...step, status: "completed", output: value });
  return value;
}

/** Journals that the wait `name` timed out, then fails it with `WaitTimeoutError`. */
async function timeOut<T>(
  host: WaitHost,
  seq: number,
  name: string,
  options: WaitOptions<T> | undefined,
): Promise<T> {
  const error = timedOut(name, options);
  const now = Date.now();
  const step = { runId: host.runId, seq, name, kind: "wait", startedAt: now, endedAt: now };
  await journal(host, {
    ...step,
    status: "error",
    error: { name: error.name, message: error.message },
  });
  throw error;
}

function timedOut(name: string, options: WaitOptions<unknown> | undefined): WaitTimeoutError {
  return new WaitTimeoutError(
    `Nobody answered "${name}" within ${options?.timeoutMs ?? "its"} ms; the run goes on without it`,
  );
}
