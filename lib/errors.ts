/**
 * Base class of every error buddy-ai throws on purpose; `instanceof BuddyError` catches them all.
 *
 * @example
 * ```ts
 * import { BuddyError, run } from "buddy-ai";
 * try { await run(async () => { throw new Error("x"); }, undefined); }
 * catch (error) { console.log(error instanceof BuddyError); } // false: the workflow's own error
 * ```
 */
export class BuddyError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A run was stopped by its `AbortSignal`; `cause` holds the signal's reason.
 *
 * @example
 * ```ts
 * import { AbortError, run } from "buddy-ai";
 * const slow = async (ctx: { signal: AbortSignal }) =>
 *   new Promise<string>((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)));
 * try {
 *   await run(slow, undefined, { signal: AbortSignal.timeout(100) });
 * } catch (error) {
 *   if (error instanceof AbortError) console.log("cancelled because", error.cause);
 * }
 * ```
 */
export class AbortError extends BuddyError {}

/**
 * An option of `execute` / `run` has a value it cannot take; the message says which and why.
 *
 * @example
 * ```ts
 * import { InvalidOptionError, run } from "buddy-ai";
 * await run(async () => "x", undefined, { historyLimit: -1 }).catch((error) => {
 *   if (error instanceof InvalidOptionError) console.log(error.message); // "historyLimit must be…"
 * });
 * ```
 */
export class InvalidOptionError extends BuddyError {}

/**
 * The workflow's input failed its schema; `issues` lists what is wrong, path by path.
 *
 * @example
 * ```ts
 * import { InputValidationError, defineWorkflow, run } from "buddy-ai";
 * import { z } from "zod";
 * const wf = defineWorkflow({ input: z.object({ topic: z.string() }), run: async () => "ok" });
 * await run(wf, { topic: 1 } as never).catch((error) => {
 *   if (error instanceof InputValidationError) console.log(error.issues[0]?.path); // ["topic"]
 * });
 * ```
 */
export class InputValidationError extends BuddyError {
  readonly issues: readonly { readonly message: string; readonly path: readonly PropertyKey[] }[];
  constructor(
    workflowName: string,
    issues: readonly { readonly message: string; readonly path: readonly PropertyKey[] }[],
  ) {
    const list = issues
      .map(
        (i) =>
          `  - ${i.path.length > 0 ? `input.${i.path.map(String).join(".")}` : "input"}: ${i.message}`,
      )
      .join("\n");
    super(`Invalid input for workflow "${workflowName}"; fix these and run again:\n${list}`);
    this.issues = issues;
  }
}

/**
 * The session stayed busy (another run held it) for longer than the store's `busyTimeoutMs`;
 * this run did not start. Retry later, or raise `busyTimeoutMs`.
 *
 * @example
 * ```ts
 * import { SessionBusyError, run } from "buddy-ai";
 * import { sqliteStorage } from "buddy-ai/sqlite";
 * const storage = sqliteStorage({ dbFile: "tmp/buddy.db", busyTimeoutMs: 1_000 });
 * await run(async () => "x", undefined, { storage, sessionId: "s" }).catch((error) => {
 *   if (error instanceof SessionBusyError) console.log("busy: try again later");
 * });
 * ```
 */
export class SessionBusyError extends BuddyError {}

/**
 * A save found a newer version of the session than the one the run loaded (another writer saved
 * it, it was deleted, or this run's lease expired); nothing was written. Run again.
 *
 * @example
 * ```ts
 * import { SessionConflictError, run } from "buddy-ai";
 * import { sqliteStorage } from "buddy-ai/sqlite";
 * const storage = sqliteStorage({ dbFile: "tmp/buddy.db" });
 * const once = () => run(async () => "x", undefined, { storage, sessionId: "s" });
 * await once().catch((error) => (error instanceof SessionConflictError ? once() : Promise.reject(error)));
 * ```
 */
export class SessionConflictError extends BuddyError {}

/**
 * A value in session state, input or content cannot be stored; the message names its path.
 * Nothing was written.
 *
 * @example
 * ```ts
 * import { UnstorableValueError, run } from "buddy-ai";
 * import { sqliteStorage } from "buddy-ai/sqlite";
 * const storage = sqliteStorage({ dbFile: "tmp/buddy.db" });
 * await run(async (ctx) => { ctx.sessionState.onSave = () => {}; }, undefined, { storage }).catch(
 *   (error) => {
 *     if (error instanceof UnstorableValueError) console.log(error.path); // "sessionState.onSave"
 *   },
 * );
 * ```
 */
export class UnstorableValueError extends BuddyError {
  constructor(
    readonly path: string,
    what: string,
    hint = "session state may hold JSON values, Date, Map, Set and BigInt only",
  ) {
    super(`${path} is ${what}; ${hint}`);
  }
}

/**
 * A stored session's data could not be decoded; other sessions are unaffected.
 *
 * @example
 * ```ts
 * import { SessionDecodeError } from "buddy-ai";
 * import { sqliteStorage } from "buddy-ai/sqlite";
 * const storage = sqliteStorage({ dbFile: "tmp/buddy.db" });
 * await storage.readSession("s").catch(async (error) => {
 *   if (error instanceof SessionDecodeError) await storage.deleteSession(error.sessionId);
 * });
 * ```
 */
export class SessionDecodeError extends BuddyError {
  constructor(
    readonly sessionId: string,
    what: string,
    options?: ErrorOptions,
  ) {
    super(
      `Session "${sessionId}" cannot be read: ${what} could not be decoded. It was changed outside ` +
        `buddy-ai or written by an incompatible version; repair the row or delete the session ` +
        `with storage.deleteSession("${sessionId}").`,
      options,
    );
  }
}

/**
 * A session id, run id, workflow id, user id or session name that no store can keep exactly: it
 * is not a string, holds a NUL character or a lone UTF-16 surrogate, or (session and run ids,
 * which are keys) is longer than 1024 bytes of UTF-8. Refused before anything is read or
 * written; `field` names the value.
 *
 * @example
 * ```ts
 * import { InvalidSessionFieldError, run } from "buddy-ai";
 * try {
 *   await run(async () => "hi", undefined, { sessionId: "a\u0000b" });
 * } catch (error) {
 *   if (error instanceof InvalidSessionFieldError) console.log(error.field); // "sessionId"
 * }
 * ```
 */
export class InvalidSessionFieldError extends BuddyError {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(
      `${field} ${problem}. Session ids, run ids, workflow ids, user ids and session names must ` +
        `be well-formed text without NUL characters, and session and run ids at most 1024 bytes ` +
        `of UTF-8 (every store keeps them exactly then); remove the offending characters, or ` +
        `derive a shorter id (e.g. a hash) and keep the original in session state.`,
    );
  }
}

/**
 * A store option (table name, schema name…) is not acceptable; the message says why.
 *
 * @example
 * ```ts
 * import { StorageConfigError } from "buddy-ai";
 * import { sqliteStorage } from "buddy-ai/sqlite";
 * try {
 *   sqliteStorage({ dbFile: "tmp/buddy.db", tableName: "sessions; drop table x" });
 * } catch (error) {
 *   if (error instanceof StorageConfigError) console.log(error.message); // "… not a plain SQL identifier …"
 * }
 * ```
 */
export class StorageConfigError extends BuddyError {}

/**
 * The database could not be reached (it restarted, the network dropped, it refused connections)
 * while the store was working; `cause` holds the driver's error. The operation did not complete:
 * a run that fails with it was not saved and its session state is as before the run. The store's
 * connection pool reconnects on its own, so the next operation works once the database is back.
 *
 * @example
 * ```ts
 * import { run, StorageUnavailableError } from "buddy-ai";
 * import { postgresStorage } from "buddy-ai/postgres";
 * const storage = postgresStorage({ connectionString: "postgres://localhost/app" });
 * try {
 *   await run(async () => "hi", undefined, { storage, sessionId: "s1" });
 * } catch (error) {
 *   if (error instanceof StorageUnavailableError) console.log("database down, retry later");
 * }
 * ```
 */
export class StorageUnavailableError extends BuddyError {}

/**
 * A durable run, replayed, did not call its steps as it did before: the step at `position` was
 * journaled as `recorded` and is now called `called`. The run fails and its journal is kept.
 * Replay re-runs the workflow from the top, so code outside steps must be deterministic: put
 * side effects, time and randomness inside `ctx.step`.
 *
 * @example
 * ```ts
 * import { NonDeterminismError } from "buddy-ai";
 * const error = new NonDeterminismError("run-1", 1, "pay", "refund");
 * console.log(error.message); // "Run "run-1" called step #1 "refund", but its journal has "pay" …"
 * ```
 */
export class NonDeterminismError extends BuddyError {
  constructor(
    readonly runId: string,
    readonly position: number,
    readonly recorded: string,
    readonly called: string,
  ) {
    super(
      `Run "${runId}" called step #${position} "${called}", but its journal has "${recorded}" ` +
        "there: the workflow did not replay as it ran. Keep code outside ctx.step " +
        "deterministic (side effects, time and randomness belong in steps); the journal is kept.",
    );
  }
}

/**
 * A run's claim on its session was lost while it ran (its process stalled past `leaseMs` and
 * another run took the session over), so it may not journal another step: it stops here, and
 * its signal aborts. Nothing it did after losing the claim was written.
 *
 * @example
 * ```ts
 * import { LeaseLostError, run } from "buddy-ai";
 * try {
 *   await run(async (ctx) => `charged ${await ctx.step("charge", async () => 42)}`, undefined);
 * } catch (error) {
 *   if (error instanceof LeaseLostError) console.log("another worker took over this session");
 * }
 * ```
 */
export class LeaseLostError extends BuddyError {}

/**
 * `options.runId` names a stored run of another workflow: a run id stands for one run.
 *
 * @example
 * ```ts
 * import { RunIdConflictError } from "buddy-ai";
 * const error = new RunIdConflictError('Run "r1" is a run of workflow "a", not of "b"');
 * ```
 */
export class RunIdConflictError extends BuddyError {}

/**
 * A step, replayed from the journal, fails again as it did when it ran: `name` and `message`
 * are those of the original error.
 *
 * @example
 * ```ts
 * import { ReplayedStepError } from "buddy-ai";
 * const error = new ReplayedStepError("quote", { name: "TypeError", message: "bad input" });
 * console.log(error.name, error.message); // "TypeError" "bad input"
 * ```
 */
export class ReplayedStepError extends BuddyError {
  constructor(
    readonly stepName: string,
    original: { readonly name: string; readonly message: string },
  ) {
    super(original.message);
    this.name = original.name;
  }
}

/**
 * A run asked to be continued (`recoverRuns`) is no longer `running`: another process finished
 * it first, or it was never stored. Nothing was run.
 *
 * @example
 * ```ts
 * import { RunNotRunningError } from "buddy-ai";
 * const error = new RunNotRunningError('Run "r1" is already completed: there is nothing to continue');
 * ```
 */
export class RunNotRunningError extends BuddyError {}

/**
 * `resume` was asked to continue a run that is not suspended: it completed, failed, is running,
 * or another resume of it got there first (exactly one of concurrent resumes proceeds).
 *
 * @example
 * ```ts
 * import { RunNotSuspendedError } from "buddy-ai";
 * const error = new RunNotSuspendedError('Run "r1" is not suspended (it is completed)');
 * ```
 */
export class RunNotSuspendedError extends BuddyError {}

/**
 * `ctx.waitFor(name, { timeoutMs })` got no answer in time: the run was continued (by
 * `recoverRuns`) once the wait's deadline passed, and the wait fails with this error. Catch it
 * in the workflow to go on without the answer.
 *
 * @example
 * ```ts
 * import { WaitTimeoutError } from "buddy-ai";
 * const error = new WaitTimeoutError('Nobody answered "approval" within 3600000 ms');
 * console.log(error.name); // "WaitTimeoutError"
 * ```
 */
export class WaitTimeoutError extends BuddyError {}
