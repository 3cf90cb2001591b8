import { eventJson } from "../run/event-json.js";
import type { WorkflowEvent } from "../run/run-event.js";

/** One Server-Sent Events frame: `id` (an event's `seq`), `event` and one line of `data`. */
export interface SseFrame {
  readonly id?: number;
  readonly event: string;
  readonly data: string;
}

/** The headers of every event-stream response. */
export const sseHeaders: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
};

const encoder = new TextEncoder();
const keepAliveFrame = encoder.encode(": keep-alive\n\n");

/** `frame` as the text of one SSE frame (`data` is JSON: it never holds a line break). */
export function frameText(frame: SseFrame): string {
  const id = frame.id === undefined ? "" : `id: ${frame.id}\n`;
  return `${id}event: ${frame.event}\ndata: ${frame.data}\n\n`;
}

/** The event loop's next turn: `setImmediate` where there is one (Node, Bun), else a 0 ms timer. */
const nextTurn: (f: () => void) => void =
  typeof setImmediate === "function" ? (f) => setImmediate(f) : (f) => setTimeout(f, 0);

/** A chunk goes out at once when its text grows past this (bytes, about). */
const chunkLimit = 64 * 1024;

/**
 * A byte stream of SSE frames, one per item (`toText` writes its frame), with a keep-alive comment after each
 * `keepAliveMs` without a frame. The frames that come within one turn of the event loop go out
 * as one chunk (a burst of tokens is one write; a lone frame waits for nothing), and reading
 * pauses while the client is behind. When the client goes away, `items` is closed.
 */
export function sseBody<T>(
  items: AsyncIterable<T>,
  toText: (item: T) => string,
  keepAliveMs = 15_000,
  onCancel?: () => void,
): ReadableStream<Uint8Array> {
  const iterator = items[Symbol.asyncIterator]();
  let text = "";
  let scheduled = false;
  let closed = false;
  let wrote = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  let resume: (() => void) | undefined;
  let controller!: ReadableStreamDefaultController<Uint8Array>;

  const flush = () => {
    scheduled = false;
    if (closed || text === "") return;
    controller.enqueue(encoder.encode(text));
    text = "";
    wrote = true;
  };
  const close = () => {
    if (closed) return;
    flush();
    closed = true;
    clearInterval(timer);
    controller.close();
  };
  const produce = async () => {
    try {
      for (let r = await iterator.next(); r.done !== true; r = await iterator.next()) {
        if (closed) return;
        text += toText(r.value);
        if (text.length > chunkLimit) flush();
        else if (!scheduled) {
          scheduled = true;
          nextTurn(flush);
        }
        if ((controller.desiredSize ?? 1) <= 0) {
          await new Promise<void>((wake) => {
            resume = wake;
          });
        }
      }
    } catch {
      // The stream's own terminal event (WorkflowError, WorkflowCancelled) was its last frame.
    }
    close();
  };

  return new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      // One timer for the stream: a tick in which no frame went out sends a comment.
      timer = setInterval(() => {
        if (!wrote && !closed) controller.enqueue(keepAliveFrame);
        wrote = false;
      }, keepAliveMs);
      timer.unref?.();
      void produce();
    },
    pull() {
      resume?.();
      resume = undefined;
    },
    async cancel() {
      closed = true;
      clearInterval(timer);
      onCancel?.();
      resume?.();
      await iterator.return?.();
    },
  });
}

/**
 * A run's events as a `text/event-stream` response: one frame per event, `id: <seq>`,
 * `event: <event.event>`, `data: <the event as JSON>`, and a keep-alive comment every 15 s
 * of silence. The client going away closes the stream, which cancels the run. Works wherever
 * a web `Response` does (Node's `http` through `toNodeListener`, Hono, Next.js, Bun, Deno).
 *
 * @example
 * ```ts
 * import { defineWorkflow, execute } from "buddy-ai";
 * import { toSSEResponse } from "buddy-ai/http";
 * const story = defineWorkflow(async function* story(_ctx, topic: string) {
 *   yield `A story about ${topic}.`;
 * });
 * export async function GET(request: Request): Promise<Response> {
 *   const topic = new URL(request.url).searchParams.get("topic") ?? "robots";
 *   return toSSEResponse(execute(story, topic, { signal: request.signal }));
 * }
 * ```
 */
export function toSSEResponse(stream: AsyncIterable<WorkflowEvent>, init?: ResponseInit): Response {
  const headers = new Headers(init?.headers);
  for (const [name, value] of Object.entries(sseHeaders)) {
    if (!headers.has(name)) headers.set(name, value);
  }
  return new Response(sseBody(stream, eventText), { ...init, headers });
}

/** A workflow event as the text of its SSE frame. */
export function eventText(event: WorkflowEvent): string {
  return `id: ${event.seq}\nevent: ${event.event}\ndata: ${eventJson(event)}\n\n`;
}
