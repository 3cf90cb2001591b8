import { defineWorkflow, run, type WorkflowStorage } from "buddy-ai";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Workers } from "../support/reliability-processes.js";
import { type StoreConnection, type StoreHandle, storeFactories } from "../support/stores.js";

const leaseMs = 1_000;
const skew = 60_000;

describe.each(storeFactories.filter((factory) => factory.sharedAcrossProcesses))(
  "a process whose clock is a minute off: $name",
  (factory) => {
    let handle: StoreHandle;
    let connection: StoreConnection;
    let storage: WorkflowStorage;
    const workers = new Workers();
    beforeEach(async () => {
      handle = await factory.create();
      if (handle.connection === undefined) throw new Error(`${factory.name} has no connection`);
      connection = handle.connection;
      storage = handle.open({ leaseMs, busyTimeoutMs: 20_000 });
    });
    afterEach(async () => {
      await workers.killAll();
      await handle.cleanup();
    });

    it("cannot enter a session whose lease is alive, however far ahead its clock is", async () => {
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let entered = () => {};
      const inside = new Promise<void>((resolve) => {
        entered = resolve;
      });
      const hold = defineWorkflow(async function hold(ctx) {
        ctx.sessionState.holder = "here";
        entered();
        await held; // several leases long: renewed all along
        return "held";
      });
      const holding = run(hold, undefined, { storage, sessionId: "live" });
      await inside;
      const ahead = workers.start({
        mode: "count",
        connection,
        leaseMs,
        seed: 1,
        runs: 1,
        concurrency: 1,
        sessions: ["live"],
        clockSkewMs: skew,
        busyTimeoutMs: 3 * leaseMs,
      });
      await ahead.waitFor((m) => m.type === "ready");
      ahead.go();
      const outcome = await ahead.waitFor((m) => m.type !== "ready", 20_000);
      expect(outcome).toMatchObject({ type: "failed", name: "SessionBusyError" });
      release();
      expect((await holding).content).toBe("held");
      expect((await storage.readSession("live"))?.sessionState).toEqual({ holder: "here" });
    });

    it("a crashed holder whose clock ran ahead frees its session about as soon as any other", async () => {
      const first = workers.start({
        mode: "hold",
        connection,
        leaseMs,
        sessionId: "ahead",
        clockSkewMs: skew,
      });
      await first.waitFor((m) => m.type === "holding");
      await first.kill();
      const started = performance.now();
      const next = await run(async () => "after", undefined, {
        storage: handle.open({ leaseMs, busyTimeoutMs: 10_000 }),
        sessionId: "ahead",
      });
      expect(next.content).toBe("after");
      // Its lease says "a minute from now" by the other clocks: it ended within a few leases.
      expect(performance.now() - started).toBeLessThan(5 * leaseMs);
    });
  },
);
