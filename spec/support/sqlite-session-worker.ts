/**
 * A separate process running workflows on a shared SQLite session, for the multi-process specs.
 *
 *   count <dbFile> <sessionId> <runs> <leaseMs> <startAt>   from epoch ms <startAt> on, runs a
 *                                                          counter workflow <runs> times
 *   hang  <dbFile> <sessionId> <leaseMs>          changes state mid-run, prints "holding", hangs
 */
import { defineWorkflow, run } from "buddy-ai";
import { sqliteStorage } from "buddy-ai/sqlite";

const [mode, dbFile = "", sessionId = "", ...rest] = process.argv.slice(2);

const counter = defineWorkflow({
  name: "counter",
  run: async (ctx) => {
    const count = Number(ctx.sessionState.count ?? 0);
    // Let other work happen between the read and the write, as real steps would.
    await new Promise((resolve) => setImmediate(resolve));
    ctx.sessionState.count = count + 1;
    return `count ${count + 1}`;
  },
});

const hang = defineWorkflow({
  name: "hang",
  run: async (ctx) => {
    ctx.sessionState.count = 999;
    ctx.sessionState.partial = true;
    setInterval(() => {}, 1_000); // stay alive until killed
    process.stdout.write("holding\n");
    await new Promise(() => {});
    return "never";
  },
});

if (mode === "count") {
  const [runs = "0", leaseMs = "15000", startAt = "0"] = rest;
  const storage = sqliteStorage({ dbFile, leaseMs: Number(leaseMs), busyTimeoutMs: 60_000 });
  await storage.readSession(sessionId); // open and migrate before the start line
  await new Promise((resolve) => setTimeout(resolve, Number(startAt) - Date.now()));
  for (let i = 0; i < Number(runs); i++) await run(counter, undefined, { storage, sessionId });
  await storage.close();
} else if (mode === "hang") {
  const [leaseMs = "15000"] = rest;
  const storage = sqliteStorage({ dbFile, leaseMs: Number(leaseMs) });
  await run(hang, undefined, { storage, sessionId });
} else {
  throw new Error(`unknown mode ${mode}`);
}
