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

/** `frame` as the bytes of one SSE frame (`data` is JSON: it never holds a line break). */
export function encodeFrame(frame: SseFrame): Uint8Array {
  const id = frame.id === undefined ? "" : `id: ${frame.id}\n`;
  return encoder.encode(`${id}event: ${frame.event}\ndata: ${frame.data}\n\n`);
}

/** A workflow event as its SSE frame. */
export function eventFrame(event: WorkflowEvent): SseFrame {
  return { id: event.seq, event: event.event, data: eventJson(event) };
}

/**
 * A byte stream of SSE frames from `frames`, with a keep-alive comment after each
 * `keepAliveMs` without a frame. When the client goes away, `frames` is closed (`return()`).
 */
export function sseBody(
  frames: AsyncIterable<SseFrame>,
  keepAliveMs = 15_000,
  onCancel?: () => void,
): ReadableStream<Uint8Array> {
  const iterator = frames[Symbol.asyncIterator]();
  let next: Promise<IteratorResult<SseFrame>> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      next ??= iterator.next();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const idle = new Promise<"idle">((resolve) => {
        timer = setTimeout(() => resolve("idle"), keepAliveMs);
      });
      try {
        const result = await Promise.race([next, idle]);
        if (result === "idle") {
          controller.enqueue(keepAliveFrame);
          return;
        }
        next = undefined;
        if (result.done === true) controller.close();
        else controller.enqueue(encodeFrame(result.value));
      } catch {
        // The stream's own terminal event (WorkflowError, WorkflowCancelled) went out already.
        controller.close();
      } finally {
        clearTimeout(timer);
      }
    },
    async cancel() {
      onCancel?.();
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
  return new Response(sseBody(frames(stream)), { ...init, headers });
}

/** The SSE frames of a stream of events. */
export async function* frames(stream: AsyncIterable<WorkflowEvent>): AsyncGenerator<SseFrame> {
  for await (const event of stream) yield eventFrame(event);
}
