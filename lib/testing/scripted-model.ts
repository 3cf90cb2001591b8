import { AbortError, BuddyError } from "../errors.js";
import type { Model, ModelChunk, ModelRequest } from "../models/model.js";
import type {
  ScriptedAnswer,
  ScriptedCall,
  ScriptedRepeat,
  ScriptedResponder,
  ScriptedTurn,
} from "./scripted-turn.js";

/**
 * A deterministic {@link Model} replaying a script; see {@link scriptedModel}.
 *
 * @example
 * ```ts
 * import { agent } from "buddy-ai";
 * import { type ScriptedModel, scriptedModel } from "buddy-ai/testing";
 * const model: ScriptedModel = scriptedModel(["one", "two"]);
 * await agent({ model }).run("Hi");
 * console.log(model.calls.length, model.remaining); // 1 1
 * ```
 */
export interface ScriptedModel extends Model {
  /** Every call received so far, in order. */
  readonly calls: readonly ScriptedCall[];
  /**
   * Calls the script can still answer: `Infinity` once an endless `{ repeat }` turn (or a
   * {@link scriptedModel} given one function) is reached.
   */
  readonly remaining: number;
}

/**
 * Options of {@link scriptedModel}.
 *
 * @example
 * ```ts
 * import { scriptedModel } from "buddy-ai/testing";
 * // Streams visibly in a demo: one word every 30 ms.
 * const demo = scriptedModel(["Tides rise and fall twice a day."], { id: "demo", chunkDelayMs: 30 });
 * ```
 */
export interface ScriptedModelOptions {
  /** Default: `"scripted"`. */
  id?: string;
  /** Pause before each text chunk, to make streaming visible in demos. Default: 0. */
  chunkDelayMs?: number;
}

/**
 * The script ran out: the code under test called the model more often than scripted.
 *
 * @example
 * ```ts
 * import { agent } from "buddy-ai";
 * import { ScriptExhaustedError, scriptedModel } from "buddy-ai/testing";
 * const once = agent({ model: scriptedModel(["only answer"]) });
 * await once.run("first");
 * await once.run("second").catch((e) => console.log(e instanceof ScriptExhaustedError)); // true
 * ```
 */
export class ScriptExhaustedError extends BuddyError {}

/**
 * A deterministic model for tests and demos: each call answers with the next turn of the script
 * and is recorded in `.calls`. A call past the end rejects with `ScriptExhaustedError`.
 *
 * A turn answers one call, unless it is a `{ repeat, times? }` turn: that answers `times` calls,
 * or every call from there on. Given one function instead of a list, the model answers every call
 * with it (`scriptedModel(fn)` is `scriptedModel([{ repeat: fn }])`).
 *
 * @example
 * ```ts
 * import { agent } from "buddy-ai";
 * import { scriptedModel } from "buddy-ai/testing";
 *
 * const model = scriptedModel([
 *   { toolCalls: [{ name: "get_weather", args: { city: "Paris" } }] },
 *   { text: ["It is ", "sunny."], usage: { inputTokens: 12, outputTokens: 4 } },
 * ]);
 * const assistant = agent({ model });
 * // … run it, then inspect what the model was sent:
 * console.log(model.calls.length, model.calls[0]?.messages);
 *
 * // One function for every call, however many a long test makes:
 * const echo = scriptedModel((request, call) => `#${call}: ${request.messages.at(-1)?.content}`);
 * ```
 */
export function scriptedModel(
  script: readonly ScriptedTurn[] | ScriptedResponder,
  options: ScriptedModelOptions = {},
): ScriptedModel {
  const turns: readonly ScriptedTurn[] =
    typeof script === "function" ? [{ repeat: script }] : script;
  const id = options.id ?? "scripted";
  const delay = options.chunkDelayMs ?? 0;
  for (const [i, turn] of turns.entries()) {
    if (!isRepeat(turn)) continue;
    if (turn.times === undefined) {
      if (i !== turns.length - 1) {
        throw new BuddyError(
          `scriptedModel "${id}": turn ${i + 1} repeats without \`times\`, so the ${turns.length - 1 - i} turn(s) after it would never answer; give it \`times\` or make it the last turn`,
        );
      }
    } else if (!Number.isInteger(turn.times) || turn.times < 1) {
      throw new BuddyError(
        `scriptedModel "${id}": turn ${i + 1} has \`times: ${turn.times}\`; it must be a positive integer`,
      );
    }
  }
  const calls: ScriptedCall[] = [];
  let next = 0; // the turn answering the next call
  let usedOfNext = 0; // calls that turn has answered already (for repeat turns)
  return {
    id,
    calls,
    get remaining() {
      let left = 0;
      for (let i = next; i < turns.length; i++) {
        const turn = turns[i];
        if (!isRepeat(turn)) left += 1;
        else if (turn.times === undefined) return Number.POSITIVE_INFINITY;
        else left += turn.times - (i === next ? usedOfNext : 0);
      }
      return left;
    },
    async *stream(request: ModelRequest): AsyncGenerator<ModelChunk, void, undefined> {
      const { signal } = request;
      const callNumber = calls.length + 1;
      calls.push({
        messages: [...request.messages],
        tools: [...request.tools],
        responseFormat: request.responseFormat,
      });
      const turn = turns[next];
      if (turn === undefined) {
        throw new ScriptExhaustedError(
          `scriptedModel "${id}" got call ${callNumber}, but its script has ${turns.length} turn(s); add a turn for every model call the code makes`,
        );
      }
      let source: string | ScriptedAnswer | ScriptedResponder;
      if (isRepeat(turn)) {
        source = turn.repeat;
        usedOfNext += 1;
        if (turn.times !== undefined && usedOfNext >= turn.times) {
          next += 1;
          usedOfNext = 0;
        }
      } else {
        source = turn;
        next += 1;
      }
      const given = typeof source === "function" ? source(request, callNumber) : source;
      const answer: ScriptedAnswer = typeof given === "string" ? { text: given } : given;
      const text =
        answer.json !== undefined ? [JSON.stringify(answer.json)] : chunksOf(answer.text);
      for (const piece of text) {
        if (delay > 0) await sleep(delay, signal);
        if (signal?.aborted)
          throw new AbortError("The scripted model call was aborted", { cause: signal.reason });
        yield { type: "text-delta", text: piece };
      }
      if (answer.error !== undefined) throw answer.error;
      for (const [i, call] of (answer.toolCalls ?? []).entries()) {
        const args = typeof call.args === "string" ? call.args : JSON.stringify(call.args ?? {});
        yield {
          type: "tool-call",
          id: call.id ?? `call_${callNumber}_${i}`,
          name: call.name,
          arguments: args,
        };
      }
      if (answer.usage !== undefined) {
        const { inputTokens = 0, outputTokens = 0 } = answer.usage;
        yield {
          type: "usage",
          usage: {
            inputTokens,
            outputTokens,
            totalTokens: answer.usage.totalTokens ?? inputTokens + outputTokens,
          },
        };
      }
      yield { type: "finish", reason: answer.toolCalls?.length ? "tool_calls" : "stop" };
    },
  };
}

function isRepeat(turn: ScriptedTurn | undefined): turn is ScriptedRepeat {
  return typeof turn === "object" && turn !== null && "repeat" in turn;
}

function chunksOf(text: string | readonly string[] | undefined): readonly string[] {
  if (text === undefined) return [];
  if (typeof text !== "string") return text;
  return text.match(/\S+\s*|\s+/g) ?? [];
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
