/** A minimal Server-Sent Events reader for the HTTP specs: frames as they arrive. */
export interface Frame {
  readonly id: number | undefined;
  readonly event: string;
  readonly data: Record<string, unknown>;
}

/** The frames of an event-stream response (comments skipped), until the body ends. */
export async function* sseFrames(response: Response): AsyncGenerator<Frame> {
  if (response.body === null) return;
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let id: number | undefined;
      let event = "message";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(": ");
        const field = line.slice(0, colon);
        const value = line.slice(colon + 2);
        if (field === "id") id = Number(value);
        else if (field === "event") event = value;
        else if (field === "data") data += value;
      }
      if (data !== "") yield { id, event, data: JSON.parse(data) as Record<string, unknown> };
    }
  }
}

/** True for the frame that ends a top-level run's stream. */
export function isTerminal(frame: Frame): boolean {
  return (
    frame.data.parentRunId === undefined &&
    ["WorkflowCompleted", "WorkflowError", "WorkflowCancelled", "WorkflowSuspended"].includes(
      frame.event,
    )
  );
}
