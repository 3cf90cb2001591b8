/**
 * The stream benches' workload (bench/workflow-stream.ts, bench/tracing.ts): a workflow
 * yielding `count` string deltas and its baseline, one hand-written native async generator doing
 * the same stamping and accumulation; and `drain`, which reads a stream to its end.
 */

/** `count` string deltas. */
export async function* items(count: number): AsyncGenerator<string> {
  for (let i = 0; i < count; i++) yield "x";
}

/** The baseline run: `WorkflowStarted`, each delta stamped as an event, `WorkflowCompleted`. */
export async function* nativeRun(count: number): AsyncGenerator<Record<string, unknown>> {
  const ids = { runId: "r", sessionId: "s", workflowId: "w" };
  yield { event: "WorkflowStarted", ...ids, createdAt: Date.now(), workflowName: "w" };
  let content = "";
  for await (const delta of items(count)) {
    content += delta;
    yield {
      event: "RunResponseContent",
      runId: ids.runId,
      sessionId: ids.sessionId,
      workflowId: ids.workflowId,
      createdAt: Date.now(),
      content: delta,
    };
  }
  yield { event: "WorkflowCompleted", ...ids, createdAt: Date.now(), content };
}

/** Reads `events` to the end; resolves how many there were. */
export async function drain(events: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of events) n++;
  return n;
}
