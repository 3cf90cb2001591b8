import { describe, expect, it } from "vitest";
import { eventJson } from "../../lib/run/event-json.js";
import type { WorkflowEvent } from "../../lib/run/run-event.js";
import { RunResponse } from "../../lib/run/run-response.js";
import { type EventBatch, EventPacker, packEvents } from "../../lib/session/event-batch.js";
import { PackedBatch } from "../../lib/session/event-unpack.js";

const ids = { runId: "r1", sessionId: "s1", workflowId: "w1" };

function delta(seq: number, content: string, createdAt: number): WorkflowEvent {
  return { event: "RunResponseContent", ...ids, createdAt, content, seq };
}

function completed(seq: number, content: string): WorkflowEvent {
  const response = new RunResponse({ content, ...ids, status: "completed" });
  return { event: "WorkflowCompleted", ...ids, createdAt: 1_010, content, response, seq };
}

/** A run's events from `first`: deltas of mixed lengths and times, a step, more deltas, the end. */
function runEvents(contents: readonly string[], first = 1): WorkflowEvent[] {
  const events: WorkflowEvent[] = [
    { event: "WorkflowStarted", ...ids, workflowName: "w", createdAt: 1_000, seq: first },
  ];
  const seq = () => first + events.length;
  for (const [i, content] of contents.entries()) {
    events.push(delta(seq(), content, 1_000 + (i >> 1)));
    if (i === 2) {
      const step = { event: "StepCompleted", ...ids, createdAt: 1_003, stepName: "fetch" };
      events.push({ ...step, durationMs: 2, seq: seq() } as WorkflowEvent);
    }
  }
  events.push(completed(seq(), contents.join("")));
  return events;
}

const mixed = ["Hé", "llo", "", " wörld 🌍", "!", "!", "!", '\n"quoted"\\', "end"];
const ascii = ["plain ", "text ", "tok ", "tok ", "tok ", "end"];

/** Every event of `batches` after `after`, read back as a store reads its log. */
function readBack(batches: readonly EventBatch[], after = 0) {
  let earlier = "";
  return batches.flatMap((b) => {
    const batch = new PackedBatch(b.data);
    const events = batch.events(after, batch.needsEarlierText ? earlier : "");
    earlier += batch.deltaText();
    return events;
  });
}

describe("packing a run's logged events", () => {
  it("gives every event back as the JSON text it streamed as, from any seq", () => {
    for (const contents of [mixed, ascii]) {
      const events = runEvents(contents);
      const batch = packEvents(events);
      expect(batch.lastSeq).toBe(events.length);
      for (let after = 0; after <= events.length; after++) {
        const stored = readBack([batch], after);
        const expected = events.filter((e) => (e.seq ?? 0) > after);
        expect(stored.map((e) => e.seq)).toEqual(expected.map((e) => e.seq));
        expect(stored.map((e) => e.event)).toEqual(expected.map((e) => e.event));
        expect(stored.map((e) => e.createdAt)).toEqual(expected.map((e) => e.createdAt));
        expect(stored.map((e) => e.data)).toEqual(expected.map((e) => eventJson(e)));
      }
    }
  });

  it("writes text as it is, and a run's whole content no second or third time", () => {
    const { data } = packEvents(runEvents(ascii));
    const newline = data.indexOf("\n");
    expect(data.slice(newline + 1)).toBe(ascii.join(""));
    const json = data.slice(0, newline);
    expect(json).not.toContain("tok");
    expect(JSON.parse(json)).toHaveLength(5); // started, deltas, step, deltas, completed
    // Text JSON would have to escape (quotes, newlines) is not escaped either.
    expect(packEvents(runEvents(mixed)).data).toContain(mixed.join(""));
  });

  it("packs an agent's deltas and a child run's as columns too, and gives them back as streamed", () => {
    const agentIds = { agentName: "writer", agentRunId: "a1" };
    const child = { ...ids, runId: "r1/1", workflowId: "kid", parentRunId: "r1" };
    const events: WorkflowEvent[] = [
      { event: "WorkflowStarted", ...ids, workflowName: "w", createdAt: 1_000, seq: 1 },
    ];
    const add = (e: object) => events.push({ ...e, seq: events.length + 1 } as WorkflowEvent);
    const content = (runIds: object, agentOf: object, text: string) =>
      // The field order the runtime makes: ids, parentRunId, createdAt, content, agent's ids.
      add({ event: "RunResponseContent", ...runIds, createdAt: 1_001, content: text, ...agentOf });
    for (const text of ["tok ", "tok ", "end. "]) content(ids, agentIds, text);
    content(ids, { agentName: "critic", agentRunId: "a2" }, "Fine. ");
    content(child, {}, "child ");
    content(child, agentIds, "child's agent ");
    content(ids, {}, "own.");
    events.push(completed(events.length + 1, "tok tok end. Fine. child child's agent own."));
    const { data } = packEvents(events);
    const packed = JSON.parse(data.slice(0, data.indexOf("\n"))) as { d?: unknown }[];
    // Started, five runs of deltas (the writer's, the critic's, the child's, the child's agent's,
    // its own), completed.
    expect(packed.filter((item) => "d" in item)).toHaveLength(5);
    expect(data).not.toContain('"content":"tok "');
    expect(readBack([packEvents(events)]).map((e) => e.data)).toEqual(events.map(eventJson));
  });

  it("keeps text with a lone surrogate in the JSON, escaped", () => {
    const events = runEvents(["a", "\ud800", "b"]);
    const { data } = packEvents(events);
    expect(data).not.toContain("\n");
    expect(data).toContain("\\ud800");
    expect(readBack([packEvents(events)]).map((e) => e.data)).toEqual(events.map(eventJson));
  });

  it("needs the earlier batches' text only for an event whose content is the run's text", () => {
    const events = runEvents(ascii);
    const packer = new EventPacker();
    const batches: EventBatch[] = [];
    for (const [i, e] of events.entries()) {
      packer.add(e);
      if (i === 2 || i === 5) batches.push(packer.take() as EventBatch);
    }
    batches.push(packer.take() as EventBatch);
    expect(packer.take()).toBeUndefined();
    expect(batches.map((b) => new PackedBatch(b.data).needsEarlierText)).toEqual([
      false,
      false,
      true,
    ]);
    expect(readBack(batches).map((e) => e.data)).toEqual(events.map(eventJson));
    expect(readBack(batches, 6).map((e) => e.seq)).toEqual([7, 8, 9]);
  });

  it("keeps the content of a run continued from a later seq, and of content not made of its deltas", () => {
    const continued = runEvents(ascii, 40);
    expect(packEvents(continued).data).toContain(`"content":${JSON.stringify(ascii.join(""))}`);
    const other = [...runEvents(ascii).slice(0, -1), completed(10, "something else")];
    const batch = packEvents(other);
    expect(new PackedBatch(batch.data).needsEarlierText).toBe(false);
    expect(readBack([batch]).map((e) => e.data)).toEqual(other.map(eventJson));
  });

  it("reads batches written with the text inline, one string per delta or one per run", () => {
    const perDelta = JSON.stringify([
      { d: [4, "r1", "s1", "w1"], t: [1_000, 2, 1_001, 1], c: ["a", "bc", "d"] },
    ]);
    const perRun = JSON.stringify([
      { d: [4, "r1", "s1", "w1"], t: [1_000, 2, 1_001, 1], n: [1, 1, 2, 1, 1, 1], c: "abcd" },
    ]);
    for (const data of [perDelta, perRun]) {
      const stored = new PackedBatch(data).events(4);
      expect(stored.map((e) => [e.seq, JSON.parse(e.data).content, e.createdAt])).toEqual([
        [5, "bc", 1_000],
        [6, "d", 1_001],
      ]);
      expect(new PackedBatch(data).deltaText()).toBe("abcd");
    }
  });

  it("has its data as an own property: a spread, JSON and structuredClone copy it", () => {
    const batch = packEvents(runEvents(mixed));
    const data = batch.data;
    expect(data).toContain("\n"); // the deltas' text part
    expect(Object.keys(batch)).toContain("data");
    expect({ ...batch }.data).toBe(data);
    expect((JSON.parse(JSON.stringify(batch)) as EventBatch).data).toBe(data);
    expect(structuredClone(batch).data).toBe(data);
    // Made once, and the same whenever read again.
    expect(batch.data).toBe(data);
    expect(readBack([{ ...batch }]).map((e) => e.seq)).toEqual(runEvents(mixed).map((e) => e.seq));
  });
});
