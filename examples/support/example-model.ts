import type { Message, Model } from "buddy-ai";
import { openai } from "buddy-ai/openai";
import { type ScriptedTurn, scriptedModel } from "buddy-ai/testing";

let noticeShown = false;

/**
 * The model the examples use: a real OpenAI-compatible server when `OPENAI_API_KEY` or
 * `OPENAI_BASE_URL` is set (model id from `OPENAI_MODEL`, default `gpt-4o-mini`), otherwise a
 * scripted model that replays `script`, so every example runs offline.
 */
export function exampleModel(script: readonly ScriptedTurn[]): Model {
  if (process.env.OPENAI_API_KEY || process.env.OPENAI_BASE_URL) {
    return openai(process.env.OPENAI_MODEL ?? "gpt-4o-mini");
  }
  if (!noticeShown) {
    noticeShown = true;
    console.log("(no OPENAI_API_KEY set: using a scripted model; set it to call a real one)\n");
  }
  return scriptedModel(script, { chunkDelayMs: Number(process.env.BUDDY_CHUNK_DELAY_MS ?? 12) });
}

/** Where the examples keep their sessions. */
export const dbFile = process.env.BUDDY_DB_FILE ?? "tmp/buddy.db";

/** The last user message of a conversation: what the scripted model answers to. */
export function lastPrompt(messages: readonly Message[]): string {
  const last = messages.findLast((m) => m.role === "user");
  return last?.content ?? "";
}
