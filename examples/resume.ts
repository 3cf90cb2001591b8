/**
 * Persistence and resuming: the same session id and storage pick up where the session left off.
 * Each run adds to a visit counter in the session state and sees the earlier runs in ctx.history.
 */
import { defineWorkflow, newSessionId, run, type WorkflowContext } from "buddy-ai";
import { sqliteStorage } from "buddy-ai/sqlite";
import { dbFile } from "./support/example-model.js";

const greeter = defineWorkflow(async function greeter(
  ctx: WorkflowContext<{ visits: number }>,
  name: string,
) {
  ctx.sessionState.visits += 1;
  const earlier = ctx.history.map((r) => String(r.content)).join(" | ");
  return `Hello ${name}, visit #${ctx.sessionState.visits}${earlier ? ` (earlier: ${earlier})` : ""}`;
});

const storage = sqliteStorage({ dbFile });
const sessionId = process.argv[2] ?? newSessionId(); // pass an id to resume it across processes
try {
  for (const name of ["Ada", "Grace", "Alan"]) {
    const response = await run(greeter, name, { storage, sessionId, sessionState: { visits: 0 } });
    console.log(response.content);
  }
  const session = await storage.readSession(sessionId);
  console.log(`session ${sessionId}: state ${JSON.stringify(session?.sessionState)}`);
  await storage.deleteSession(sessionId); // new sessions are cheap; this one was a demo
} finally {
  await storage.close();
}
