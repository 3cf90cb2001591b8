/**
 * The persisted-run benches' workload, the same code on both sides: three async-generator steps
 * that read the session state, change it (a new counter and string every run, so every save
 * writes a changed row) and yield three content strings.
 */
import { defineWorkflow } from "buddy-ai";

export type State = Record<string, unknown>;
export interface Input {
  readonly i: number;
}

/** The three steps: the baseline consumes them with `for await`, concatenating the content. */
export async function* threeSteps(
  state: State,
  history: readonly unknown[],
  input: Input,
): AsyncGenerator<string> {
  const count = Number(state.count ?? 0) + 1;
  state.count = count;
  state.topic = `topic ${count} (input ${input.i})`;
  yield `Step 1 of run ${count}. `;
  yield `Step 2 after ${history.length} earlier runs. `;
  yield "Step 3.";
}

/** Ours: the same steps as a workflow, run with `run(counter, input, { storage, sessionId })`. */
export const counter = defineWorkflow({
  name: "counter",
  run: (ctx, input: Input) => threeSteps(ctx.sessionState, ctx.history, input),
});

/** Our runs' logger, silenced. */
export const quiet = { warn: () => {}, debug: () => {} };
