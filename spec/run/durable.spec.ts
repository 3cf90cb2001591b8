import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  defineWorkflow,
  execute,
  RunIdConflictError,
  recoverRuns,
  run,
  UnstorableValueError,
  type WorkflowEvent,
  type WorkflowStorage,
} from "buddy-ai";
import { scriptedModel } from "buddy-ai/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { settle } from "../session/conformance-support.js";
import {
  agentModel,
  type DurableInput,
  durableAgent,
  durableApproval,
  durableAsync,
  durableGenerator,
  durableStall,
  durableSyncGenerator,
  durableValue,
  durableWorkflows,
  stepNames,
} from "../support/durable-workflows.js";
import { type StoreConnection, type StoreHandle, storeFactories } from "../support/stores.js";

const quiet = { warn: () => {}, debug: () => {} };
const leaseMs = 1_000;
const root = join(import.meta.dirname, "..", "..");

const results = { reserve: "reserve#1", charge: "charge#1", notify: "notify#1" };
/** The four return styles; the step each kills first; the state an uninterrupted run leaves. */
const crashStyles = [
  {
    style: "an async generator",
    workflow: durableGenerator,
    first: 0,
    state: { started: true, done: 3 },
  },
  { style: "an async function (a Promise)", workflow: durableAsync, first: 1, state: { done: 3 } },
  {
    style: "a sync function (a RunResponse)",
    workflow: durableValue,
    first: 2,
    state: { started: true, ...results },
  },
  {
    style: "a sync generator",
    workflow: durableSyncGenerator,
    first: 1,
    state: { started: true, ...results },
  },
];
const boundaries = ["start", "inside", "after"] as const;

/**
 * Waits until a lease taken before now has expired, with a margin: each process tells the
 * database's time from its own measured offset (Postgres), and those differ by a few ms (more on
 * a loaded machine).
 */
function leaseOver(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, leaseMs + 200));
}

/** Runs `workflow` with `input` in a process of its own, which kills itself at a step boundary. */
function crashingRun(
  connection: StoreConnection,
  workflow: string,
  sessionId: string,
  runId: string,
  input: DurableInput,
  recover = false,
): Promise<NodeJS.Signals | null> {
  const task = JSON.stringify({ connection, workflow, sessionId, runId, input, leaseMs, recover });
  const worker = join(root, "spec", "support", "durable-worker.ts");
  const child = spawn(process.execPath, ["--import", "tsx", worker, task], {
    cwd: root,
    env: { ...process.env, BUDDY_DURABLE_WORKER: "1" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  return new Promise((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
}

async function executions(log: string): Promise<string[]> {
  const text = await readFile(log, "utf8").catch(() => "");
  return text.split("\n").filter((line) => line !== "");
}

describe.each(storeFactories)("durable runs: $name", (factory) => {
  let handle: StoreHandle;
  let storage: WorkflowStorage;
  let dir: string;
  beforeEach(async () => {
    handle = await factory.create();
    storage = handle.open({ leaseMs });
    dir = await mkdtemp(join(tmpdir(), "buddy-durable-"));
  });
  afterEach(async () => {
    await handle.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it("journals each step's result, streams StepStarted and StepCompleted, and lists the steps", async () => {
    const log = join(dir, "log");
    const events: WorkflowEvent[] = [];
    for await (const event of execute(
      durableGenerator,
      { log, killAt: -1 },
      { storage, sessionId: "s" },
    )) {
      events.push(event);
    }
    expect(events.map((e) => e.event)).toEqual([
      "WorkflowStarted",
      ...["reserve", "charge", "notify"].flatMap(() => [
        "StepStarted",
        "StepCompleted",
        "RunResponseContent",
      ]),
      "WorkflowCompleted",
    ]);
    const [runRow] = await storage.listRuns("s");
    const steps = await storage.listSteps(runRow?.runId ?? "");
    expect(steps.map((s) => [s.seq, s.name, s.status, s.output])).toEqual([
      [0, "reserve", "completed", "reserve#1"],
      [1, "charge", "completed", "charge#1"],
      [2, "notify", "completed", "notify#1"],
    ]);
    expect((await storage.getRun(runRow?.runId ?? ""))?.content).toBe(
      "reserve#1; charge#1; notify#1; ",
    );
    expect(await storage.getRun("no-such-run")).toBeUndefined();
  });

  it("counts attempts of a retried step, and refuses an unstorable result by the step's name", async () => {
    const keys: string[] = [];
    const flaky = defineWorkflow(async function flaky(ctx) {
      await ctx.step("first", () => "once");
      const attempts = await ctx.step(
        "flaky",
        ({ attempt, idempotencyKey }) => {
          keys.push(idempotencyKey);
          if (attempt < 3) throw new Error(`attempt ${attempt} failed`);
          return attempt;
        },
        { retry: { attempts: 3, backoffMs: 1 } },
      );
      return `succeeded on attempt ${attempts}`;
    });
    const done = await run(flaky, undefined, { storage, sessionId: "r", logger: quiet });
    expect(done.content).toBe("succeeded on attempt 3");
    // One key for every attempt of a step: the run's id and the step's position.
    expect(keys).toEqual([1, 2, 3].map(() => `${done.runId}:1`));
    expect((await storage.listSteps(done.runId)).map((s) => s.output)).toEqual(["once", 3]);
    const unstorable = defineWorkflow(async function unstorable(ctx) {
      await ctx.step("callback", () => () => "a function");
      return "never";
    });
    const { error } = await settle(
      run(unstorable, undefined, { storage, sessionId: "u", logger: quiet }),
    );
    expect(error).toBeInstanceOf(UnstorableValueError);
    expect(String(error)).toMatch(/step #0 "callback"/);
  });

  it("runs a given runId once: a second start streams the stored outcome", async () => {
    const log = join(dir, "log");
    const runId = randomUUID();
    const first = await run(durableAsync, { log, killAt: -1 }, { storage, sessionId: "i", runId });
    const events: WorkflowEvent[] = [];
    for await (const event of execute(
      durableAsync,
      { log, killAt: -1 },
      { storage, sessionId: "i", runId },
    )) {
      events.push(event);
    }
    expect(events.map((e) => e.event)).toEqual(["WorkflowStarted", "WorkflowCompleted"]);
    expect(events.at(-1)).toMatchObject({ content: first.content, runId });
    // Two starts at once: one execution.
    const twice = randomUUID();
    const both = await Promise.all([
      run(durableAsync, { log, killAt: -1 }, { storage, sessionId: "j", runId: twice }),
      run(
        durableAsync,
        { log, killAt: -1 },
        { storage: handle.open({ leaseMs }), sessionId: "j", runId: twice },
      ),
    ]);
    expect(both[0].content).toBe(both[1].content);
    expect(await executions(log)).toHaveLength(6); // three steps, two executions
    const other = await settle(
      run(durableGenerator, { log, killAt: -1 }, { storage, sessionId: "i", runId }),
    );
    expect(other.error).toBeInstanceOf(RunIdConflictError);
  });

  if (factory.sharedAcrossProcesses) {
    describe.each(crashStyles)("$style, its process killed", ({ workflow, first, state }) => {
      // One step per boundary, each boundary at another step in each style (every step, at every
      // boundary, across the four styles); three workers at once, recovered by one recoverRuns.
      const kills = boundaries.map((boundary, b) => ({ boundary, killAt: (first + b) % 3 }));
      it(`at ${kills.map((k) => `step ${k.killAt} (${k.boundary})`).join(", ")}: recoverRuns finishes each as if uninterrupted; journaled steps ran once, a cut one at most twice`, async () => {
        const connection = handle.connection as StoreConnection;
        const crashes = kills.map((kill) => ({
          ...kill,
          sessionId: `crash-${kill.boundary}`,
          runId: randomUUID(),
          log: join(dir, `log-${kill.boundary}`),
        }));
        const signals = await Promise.all(
          crashes.map((c) =>
            crashingRun(connection, workflow.name, c.sessionId, c.runId, {
              log: c.log,
              killAt: c.killAt,
              boundary: c.boundary,
            }),
          ),
        );
        expect(signals).toEqual(crashes.map(() => "SIGKILL"));
        // What each process left: its run still running, the steps it journaled, what ran.
        const left = await Promise.all(
          crashes.map(async (c) => ({
            status: (await storage.getRun(c.runId))?.status,
            journaled: (await storage.listSteps(c.runId)).map((s) => s.name),
            ran: await executions(c.log),
          })),
        );
        for (const [i, c] of crashes.entries()) {
          const { status, journaled, ran } = left[i] as (typeof left)[number];
          const cut = stepNames[c.killAt] as string;
          const where = `${c.boundary} step ${c.killAt}`;
          expect(status, where).toBe("running");
          expect(journaled.includes(cut), where).toBe(c.boundary === "after");
          if (c.boundary !== "after") {
            expect(ran.filter((line) => line === cut).length, where).toBe(
              c.boundary === "inside" ? 1 : 0,
            );
          }
        }
        await leaseOver();
        const recovered = await recoverRuns({ storage, workflows: durableWorkflows });
        expect(recovered.map((r) => r.runId).sort()).toEqual(crashes.map((c) => c.runId).sort());
        // The same content and state as a run that was never interrupted.
        const clean = await run(
          workflow,
          { log: join(dir, "clean"), killAt: -1 },
          { storage, sessionId: "clean" },
        );
        const cleanState = (await storage.readSession("clean"))?.sessionState;
        expect(cleanState).toEqual(state);
        for (const [i, c] of crashes.entries()) {
          const where = `${c.boundary} step ${c.killAt}`;
          const response = recovered.find((r) => r.runId === c.runId);
          expect(response?.status, where).toBe("completed");
          expect(response?.content, where).toEqual(clean.content);
          expect((await storage.readSession(c.sessionId))?.sessionState, where).toEqual(cleanState);
          const steps = await storage.listSteps(c.runId);
          expect(
            steps.map((s) => [s.name, s.status]),
            where,
          ).toEqual(stepNames.map((name) => [name, "completed"]));
          // A step journaled before the crash ran once; any other ran once more than before it.
          const { journaled, ran } = left[i] as (typeof left)[number];
          const ranAfter = await executions(c.log);
          for (const name of stepNames) {
            const before = ran.filter((line) => line === name).length;
            const times = ranAfter.filter((line) => line === name).length;
            expect(times, `${where}: ${name}`).toBe(journaled.includes(name) ? 1 : before + 1);
            expect(times, `${where}: ${name}`).toBeLessThanOrEqual(2);
          }
          // One terminal outcome: one completed run in the session.
          expect(
            (await storage.listRuns(c.sessionId)).map((r) => r.status),
            where,
          ).toEqual(["completed"]);
        }
        // Nothing left to recover; a second call finds nothing.
        expect(await recoverRuns({ storage, workflows: durableWorkflows })).toEqual([]);
      }, 60_000);
    });

    it("resumes a suspended run from other processes: one of two at once proceeds, pay runs once", async () => {
      const log = join(dir, "log");
      const first = await run(durableApproval, { log, killAt: -1 }, { storage, sessionId: "ok" });
      expect(first.status).toBe("suspended");
      const resumeIn = (answers: Record<string, unknown>) => {
        const task = JSON.stringify({
          connection: handle.connection,
          workflow: durableApproval.name,
          sessionId: "",
          runId: first.runId,
          input: { log, killAt: -1 },
          leaseMs,
          answers,
        });
        const worker = join(root, "spec", "support", "durable-worker.ts");
        const child = spawn(process.execPath, ["--import", "tsx", worker, task], { cwd: root });
        let out = "";
        child.stdout.setEncoding("utf8");
        child.stdout.on("data", (chunk: string) => {
          out += chunk;
        });
        return new Promise<string>((resolve) => child.once("exit", () => resolve(out.trim())));
      };
      const outcomes = await Promise.all([
        resumeIn({ approval: { approved: true } }),
        resumeIn({ approval: { approved: true } }),
      ]);
      expect([...outcomes].sort()).toEqual(["completed", "failed RunNotSuspendedError"]);
      expect(await executions(log)).toEqual(["quote", "pay"]);
      expect(await storage.getRun(first.runId)).toMatchObject({
        status: "completed",
        content: "quote 12; paid",
      });
    }, 30_000);

    it("two processes recovering at once continue each run once", async () => {
      const log = join(dir, "log");
      const connection = handle.connection as StoreConnection;
      const runIds = [randomUUID(), randomUUID()];
      for (const [i, runId] of runIds.entries()) {
        await crashingRun(connection, durableAsync.name, `twice-${i}`, runId, { log, killAt: 2 });
      }
      await leaseOver();
      const [a, b] = await Promise.all([
        recoverRuns({ storage, workflows: durableWorkflows }),
        recoverRuns({ storage: handle.open({ leaseMs }), workflows: durableWorkflows }),
      ]);
      expect([...(a ?? []), ...(b ?? [])].map((r) => r.runId).sort()).toEqual([...runIds].sort());
      const notified = (await executions(log)).filter((line) => line === "notify");
      expect(notified).toHaveLength(4); // each run: once cut, once recovered
    }, 30_000);

    it("an agent given ctx: replay does not call the model again for a finished turn", async () => {
      const log = join(dir, "log");
      const runId = randomUUID();
      const connection = handle.connection as StoreConnection;
      // The worker's model asks for the tool; the process dies inside the tool.
      await crashingRun(connection, durableAgent.name, "agent", runId, { log, killAt: 0 });
      expect((await storage.listSteps(runId)).map((s) => [s.name, s.kind])).toEqual([
        ["helper: model", "model"],
      ]);
      await leaseOver();
      // Here the model knows only the final answer: a second call of the first turn would get it.
      const model = scriptedModel(["Order 7 has shipped."]);
      agentModel.current = model;
      const [recovered] = await recoverRuns({ storage, workflows: durableWorkflows });
      expect(recovered?.content).toBe("Order 7 has shipped.");
      expect(model.calls).toHaveLength(1);
      // The model got the journaled tool call and the tool's (live) result.
      expect(model.calls[0]?.messages.at(-1)).toMatchObject({
        role: "tool",
        content: "order 7: shipped",
      });
      expect(await executions(log)).toEqual(["lookup", "lookup"]);
      expect((await storage.listSteps(runId)).map((s) => s.kind)).toEqual([
        "model",
        "tool",
        "model",
      ]);
    }, 30_000);

    it("gives a run up (error) once it was continued three times and died each time", async () => {
      const log = join(dir, "log");
      const runId = randomUUID();
      const connection = handle.connection as StoreConnection;
      const input = { log, killAt: 1 };
      await crashingRun(connection, durableAsync.name, "doomed", runId, input);
      for (let i = 0; i < 3; i++) {
        await leaseOver();
        // A recovering process that dies in the same step again.
        expect(await crashingRun(connection, durableAsync.name, "", "", input, true)).toBe(
          "SIGKILL",
        );
        expect((await storage.getRun(runId))?.status).toBe("running");
      }
      await leaseOver();
      const [given] = await recoverRuns({ storage, workflows: durableWorkflows, logger: quiet });
      expect(given?.status).toBe("error");
      expect(given?.error).toMatch(/continued 3 times/);
      expect((await executions(log)).filter((line) => line === "charge")).toHaveLength(4);
    }, 60_000);

    it("a worker stalled past its lease journals nothing more: LeaseLostError", async () => {
      const log = join(dir, "log");
      const runId = randomUUID();
      const task = JSON.stringify({
        connection: handle.connection,
        workflow: durableStall.name,
        sessionId: "stall",
        runId,
        input: { log, killAt: -1 },
        leaseMs,
      });
      const worker = spawn(
        process.execPath,
        ["--import", "tsx", join(root, "spec", "support", "durable-worker.ts"), task],
        { cwd: root, env: { ...process.env, BUDDY_DURABLE_WORKER: "1" } },
      );
      let out = "";
      worker.stdout.setEncoding("utf8");
      worker.stdout.on("data", (chunk: string) => {
        out += chunk;
      });
      const exited = new Promise((resolve) => worker.once("exit", resolve));
      try {
        while (!out.includes("stalled")) await new Promise((resolve) => setTimeout(resolve, 20));
        // The session is taken over while the worker is stopped.
        const other = await run(async () => "took over", undefined, {
          storage: handle.open({ leaseMs, busyTimeoutMs: 10_000 }),
          sessionId: "stall",
        });
        expect(other.content).toBe("took over");
        worker.kill("SIGCONT");
        await exited;
      } finally {
        worker.kill("SIGKILL");
      }
      expect(out).toContain("failed LeaseLostError");
      expect((await storage.listSteps(runId)).map((s) => s.name)).toEqual(["reserve"]);
      expect((await executions(log)).filter((line) => line === "charge")).toHaveLength(1);
      expect((await storage.getRun(runId))?.status).toBe("error");
    }, 30_000);

    it("fails a replay that calls another step than its journal has, and keeps the journal", async () => {
      const log = join(dir, "log");
      const runId = randomUUID();
      await crashingRun(handle.connection as StoreConnection, durableAsync.name, "nd", runId, {
        log,
        killAt: 1,
      });
      await leaseOver();
      const changed = defineWorkflow({
        name: "durable-async", // the same workflow, its code changed: another first step
        run: async (ctx) => ctx.step("refund", () => "refunded"),
      });
      const [failed] = await recoverRuns({ storage, workflows: [changed], logger: quiet });
      expect(failed?.status).toBe("error");
      expect(failed?.error).toMatch(/step #0 "refund", but its journal has "reserve"/);
      expect((await storage.listSteps(runId)).map((s) => s.name)).toEqual(["reserve"]);
    }, 30_000);
  }
});
