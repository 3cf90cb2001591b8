/** Releases a slot of {@link SessionQueue}; calling it again does nothing. */
export type ReleaseSlot = () => void;

interface Waiter {
  readonly grant: () => void;
}

/**
 * A first-in, first-out queue per key: one holder at a time per key, in this process. Waiting
 * ends with the slot, with `onTimeout()` at `deadline` (epoch ms), or with `onAbort()` when the
 * signal aborts; a waiter that gives up leaves the queue without disturbing the others.
 */
export class SessionQueue {
  readonly #waiting = new Map<string, Waiter[]>();

  acquire(
    key: string,
    deadline: number,
    signal: AbortSignal | undefined,
    onTimeout: () => Error,
    onAbort: () => Error,
  ): Promise<ReleaseSlot> {
    const queue = this.#waiting.get(key);
    if (queue === undefined) {
      this.#waiting.set(key, []);
      return Promise.resolve(this.#release(key));
    }
    if (signal?.aborted) return Promise.reject(onAbort());
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const leave = (error: Error) => {
        const at = queue.indexOf(waiter);
        if (at >= 0) queue.splice(at, 1);
        cleanup();
        reject(error);
      };
      const onSignal = () => leave(onAbort());
      const timer = setTimeout(() => leave(onTimeout()), Math.max(0, deadline - Date.now()));
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onSignal);
      };
      const waiter: Waiter = {
        grant: () => {
          cleanup();
          resolve(this.#release(key));
        },
      };
      signal?.addEventListener("abort", onSignal, { once: true });
      queue.push(waiter);
    });
  }

  #release(key: string): ReleaseSlot {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const queue = this.#waiting.get(key);
      const next = queue?.shift();
      if (next === undefined) this.#waiting.delete(key);
      else next.grant();
    };
  }
}
