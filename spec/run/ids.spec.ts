import { run } from "buddy-ai";
import { describe, expect, it } from "vitest";

describe("run ids", () => {
  it("are version-7 UUIDs: unique, and ordered by the time they were made", async () => {
    const v7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const first = await run(async () => "x", undefined);
    await new Promise((resolve) => setTimeout(resolve, 3));
    const ids = await Promise.all(
      Array.from({ length: 200 }, async () => (await run(async () => "x", undefined)).runId),
    );
    for (const id of [first.runId, ...ids]) expect(id).toMatch(v7);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id > first.runId).toBe(true);
  });
});
