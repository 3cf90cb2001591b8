import type { PGlite } from "@electric-sql/pglite";

/** Wire-protocol message types after which another connection may take a turn. */
const groupEnd = new Set([
  "S".charCodeAt(0), // Sync: ends an extended-query group (Parse, Bind, Describe, Execute…)
  "Q".charCodeAt(0), // Query: a simple query is one message
  "X".charCodeAt(0), // Terminate
  0, // A startup message (it starts with its length, not a type)
]);

interface Queued {
  readonly handlerId: number;
  readonly message: Uint8Array;
  readonly onData: (data: Uint8Array) => void;
  readonly resolve: (bytes: number) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The message queue `@electric-sql/pglite-socket` multiplexes its connections through, onto
 * PGlite's single session, with one fix: the package's own queue lets another connection in
 * between the messages of one extended-query group (Parse, Bind, Execute… up to Sync), so two
 * connections using parameters at once bind each other's unnamed statement ("unnamed prepared
 * statement does not exist"). This queue keeps serving one connection until its group ends, and
 * while the session is inside a transaction that connection opened. Installed by the test server
 * in place of the package's (`server.queryQueue`); same interface.
 */
export class PgliteQueryQueue {
  readonly #db: PGlite;
  #queue: Queued[] = [];
  #processing = false;
  /** The connection whose group or transaction is in progress. */
  #owner: number | undefined;
  #last: number | undefined;

  constructor(db: PGlite) {
    this.#db = db;
  }

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void) {
    return new Promise<number>((resolve, reject) => {
      this.#queue.push({ handlerId, message, onData, resolve, reject });
      void this.#process();
    });
  }

  getQueueLength(): number {
    return this.#queue.length;
  }

  clearQueueForHandler(handlerId: number): void {
    this.#queue = this.#queue.filter((item) => {
      if (item.handlerId !== handlerId) return true;
      item.reject(new Error("Handler disconnected"));
      return false;
    });
  }

  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.#owner === handlerId) this.#owner = undefined;
    if (this.#db.isInTransaction() && this.#last === handlerId) {
      await this.#db.exec("ROLLBACK");
      this.#last = undefined;
    }
    void this.#process();
  }

  async #process(): Promise<void> {
    if (this.#processing) return;
    this.#processing = true;
    try {
      while (this.#queue.length > 0) {
        const owner = this.#owner ?? (this.#db.isInTransaction() ? this.#last : undefined);
        const at =
          owner === undefined ? 0 : this.#queue.findIndex((item) => item.handlerId === owner);
        const item = at < 0 ? undefined : this.#queue.splice(at, 1)[0];
        if (item === undefined) break; // The owner's next message has not arrived yet.
        let bytes = 0;
        try {
          await this.#db.runExclusive(() =>
            this.#db.execProtocolRawStream(item.message, {
              onRawData: (data) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
          item.resolve(bytes);
        } catch (error) {
          item.reject(error);
        }
        this.#last = item.handlerId;
        this.#owner = groupEnd.has(item.message[0] ?? 0) ? undefined : item.handlerId;
      }
    } finally {
      this.#processing = false;
    }
  }
}
