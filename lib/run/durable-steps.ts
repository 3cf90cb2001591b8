import type { StepRecord } from "../session/step-record.js";

/**
 * How an agent given `ctx` journals its model turns and tool results as steps of the run: a
 * `ctx` of a run with a store carries this under {@link durableSteps} (other options do not).
 */
export interface DurableSteps {
  /**
   * Takes the run's next step position for `name`; `recorded` is its journal entry when the
   * run is replayed (`NonDeterminismError` when the journal has another name there).
   */
  begin(name: string): { readonly seq: number; readonly recorded: StepRecord | undefined };
  /** Journals the step at `seq` with its result (`LeaseLostError` once the run lost its claim). */
  record(
    seq: number,
    name: string,
    kind: string,
    output: unknown,
    startedAt: number,
  ): Promise<void>;
}

/** The key of {@link DurableSteps} on a run's context. */
export const durableSteps: unique symbol = Symbol("buddy-ai.durableSteps");

/** The durable steps of `options`, when they are a durable run's context. */
export function durableStepsOf(options: object): DurableSteps | undefined {
  return (options as { [durableSteps]?: DurableSteps })[durableSteps];
}
