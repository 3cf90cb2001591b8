/**
 * One journaled step of a durable run, as `storage.listSteps(runId)` returns it: its position in
 * the run (`seq`, from 0), its name, and its result (`output`) or the name and message of the
 * error it failed with. Times are epoch milliseconds.
 *
 * @example
 * ```ts
 * import type { StepRecord } from "buddy-ai";
 * import { sqliteStorage } from "buddy-ai/sqlite";
 * const storage = sqliteStorage({ dbFile: "tmp/buddy.db" });
 * const steps: StepRecord[] = await storage.listSteps("run-1");
 * for (const step of steps) console.log(step.seq, step.name, step.status);
 * ```
 */
export interface StepRecord {
  readonly seq: number;
  readonly name: string;
  /** What ran: `"step"` for `ctx.step`. */
  readonly kind: string;
  readonly status: "completed" | "error";
  readonly output?: unknown;
  readonly error?: { readonly name: string; readonly message: string };
  readonly startedAt: number;
  readonly endedAt: number;
}

/**
 * A step to journal, handed to {@link SessionRun.recordStep}: the {@link StepRecord} of run
 * `runId` (the top-level run or one of its child runs).
 *
 * @example
 * ```ts
 * import type { StepWrite } from "buddy-ai";
 * const step: StepWrite = {
 *   runId: "run-1", seq: 0, name: "quote", kind: "step", status: "completed",
 *   output: { total: 12 }, startedAt: Date.now(), endedAt: Date.now(),
 * };
 * ```
 */
export interface StepWrite extends StepRecord {
  readonly runId: string;
}
