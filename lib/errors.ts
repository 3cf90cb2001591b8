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

/** A run was stopped by its `AbortSignal`; `cause` holds the signal's reason. */
export class AbortError extends BuddyError {}

/** The workflow's input failed its schema; `issues` lists what is wrong, path by path. */
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

/** The session stayed busy (another run held it) for longer than the store's `busyTimeoutMs`. */
export class SessionBusyError extends BuddyError {}

/** A save found a newer version of the session than the one the run loaded; nothing was written. */
export class SessionConflictError extends BuddyError {}

/** A value in session state, input or content cannot be stored; the message names its path. */
export class UnstorableValueError extends BuddyError {
  constructor(
    readonly path: string,
    what: string,
    hint = "session state may hold JSON values, Date, Map, Set and BigInt only",
  ) {
    super(`${path} is ${what}; ${hint}`);
  }
}

/** A stored session's data could not be decoded; other sessions are unaffected. */
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

/** A store option (table name, schema name…) is not acceptable; the message says why. */
export class StorageConfigError extends BuddyError {}
