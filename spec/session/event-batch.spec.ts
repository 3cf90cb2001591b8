import { describe, expect, it } from "vitest";
import { eventJson } from "../../lib/run/event-json.js";
import type { WorkflowEvent } from "../../lib/run/run-event.js";
import { RunResponse } from "../../lib/run/run-response.js";
import { EventPacker, packEvents, unpackEvents } from "../../lib/session/event-batch.js";

const ids = { runId: "r1", sessionId: "s1", workflowId: "w1" };

function delta(seq: number, content: string, createdAt: number): WorkflowEvent {
  return { event: "RunResponseContent", ...ids, createdAt, content, seq };
}

/** A run's events: started, deltas of mixed lengths and times, a step, more deltas, completed. */
function runEvents(): WorkflowEvent[] {
  const contents = ["Hé", "llo", "", " wörld 🌍", "!", "!", "!", '\n"quoted"\\', "end"];
  const events: WorkflowEvent[] = [{ event: "WorkflowStarted", ...ids, createdAt: 1_000, seq: 1 }];
  for (const [i, content] of contents.entries()) {
    events.push(delta(events.length + 1, content, 1_000 + (i >> 1)));
    if (i === 4) {
      events.push({
        event: "StepCompleted",
        ...ids,
        createdAt: 1_003,
        stepName: "fetch",
        durationMs: 2,
        seq: events.length + 1,
      } as WorkflowEvent);
    }
  }
  const content = contents.join("");
  const response = new RunResponse({ content, ...ids, status: "completed" });
  events.push({
    event: "WorkflowCompleted",
    ...ids,
    createdAt: 1_010,
    content,
    response,
    seq: events.length + 1,
  } as WorkflowEvent);
  return events;
}

describe("packing a run's logged events", () => {
  it("gives every event back as the JSON text it streamed as, from any seq", () => {
    const events = runEvents();
    const batch = packEvents(events);
    expect(batch.lastSeq).toBe(events.length);
    for (const after of [0, 1, 3, 6, 7, 11, events.length - 1, events.length]) {
      const stored = unpackEvents(batch.data, after);
      const expected = events.filter((e) => (e.seq ?? 0) > after);
      expect(stored.map((e) => e.seq)).toEqual(expected.map((e) => e.seq));
      expect(stored.map((e) => e.event)).toEqual(expected.map((e) => e.event));
      expect(stored.map((e) => e.createdAt)).toEqual(expected.map((e) => e.createdAt));
      expect(stored.map((e) => e.data)).toEqual(expected.map((e) => eventJson(e)));
    }
  });

  it("keeps deltas as one string and a terminal event's content once", () => {
    const events = runEvents();
    const { data } = packEvents(events);
    const packed = JSON.parse(data) as { c?: unknown }[];
    expect(packed).toHaveLength(5); // started, deltas, step, deltas, completed
    expect(packed[1]?.c).toBe("Héllo wörld 🌍!");
    // The content appears twice: in the deltas' strings and as the terminal event's content.
    expect(data.split("wörld 🌍").length - 1).toBe(2);
  });

  it("batches as it goes: take() empties the packer and numbers carry on", () => {
    const events = runEvents();
    const packer = new EventPacker();
    const batches = [];
    for (const [i, e] of events.entries()) {
      packer.add(e);
      if (i === 3 || i === 8) batches.push(packer.take());
    }
    batches.push(packer.take());
    expect(packer.take()).toBeUndefined();
    const stored = batches.flatMap((b) => (b === undefined ? [] : unpackEvents(b.data, 0)));
    expect(stored.map((e) => e.data)).toEqual(events.map((e) => eventJson(e)));
  });

  it("reads batches written with one string per delta", () => {
    const old = JSON.stringify([
      { d: [4, "r1", "s1", "w1"], t: [1_000, 2, 1_001, 1], c: ["a", "bc", "d"] },
    ]);
    const stored = unpackEvents(old, 4);
    expect(stored.map((e) => [e.seq, JSON.parse(e.data).content, e.createdAt])).toEqual([
      [5, "bc", 1_000],
      [6, "d", 1_001],
    ]);
  });
});
