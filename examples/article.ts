/**
 * The main job (`npm start`): a researcher agent, then a writer agent, in plain code. The
 * writer's tokens print as they stream; the session is saved to tmp/buddy.db, so running it
 * again resumes the session: its history and state load automatically.
 *
 *   npm start                         # topic "quantum computing"
 *   npm start -- "fusion energy"      # another topic, same session
 */
import { agent, defineWorkflow, execute, RunEvent } from "buddy-ai";
import { sqliteStorage } from "buddy-ai/sqlite";
import { dbFile, exampleModel, lastPrompt } from "./support/example-model.js";

const researcher = agent({
  name: "researcher",
  model: exampleModel([
    (request) => ({
      text: `Key facts on ${lastPrompt(request.messages).replace("Research: ", "")}: it is older than it looks, it is hard, and it is getting cheaper.`,
      usage: { inputTokens: 24, outputTokens: 21 },
    }),
  ]),
  instructions: "List the key facts about the topic in one paragraph.",
});

const writer = agent({
  name: "writer",
  model: exampleModel([
    (request) => ({
      text: `${lastPrompt(request.messages).split("\n")[1] ?? ""} So the story is not whether it arrives, but who is ready when it does.`,
      usage: { inputTokens: 58, outputTokens: 44 },
    }),
  ]),
  instructions: "Write a short, vivid article from the research notes you are given.",
});

type ArticleState = { articles: number; topics: string[] };

const article = defineWorkflow({
  name: "article",
  description: "Research a topic, then write an article.",
  async *run(ctx, topic: string) {
    const state = ctx.sessionState as ArticleState;
    const research = await researcher.run(`Research: ${topic}`, ctx);
    yield* writer.stream(`Write an article based on:\n${research.content}`, ctx);
    state.articles = (state.articles ?? 0) + 1;
    state.topics = [...(state.topics ?? []), topic];
  },
});

const topic = process.argv[2] ?? "quantum computing";
const storage = sqliteStorage({ dbFile });
try {
  for await (const event of execute(article, topic, {
    storage,
    sessionId: "article-demo",
    sessionState: { articles: 0, topics: [] },
  })) {
    switch (event.event) {
      case RunEvent.WorkflowStarted: {
        const session = await storage.readSession(event.sessionId);
        const past = (session?.sessionState.topics as string[] | undefined) ?? [];
        console.log(
          past.length === 0
            ? `▶ new session "${event.sessionId}" — writing about ${topic}`
            : `▶ resuming session "${event.sessionId}" (${past.length} earlier: ${past.join(", ")}) — writing about ${topic}`,
        );
        break;
      }
      case RunEvent.RunStarted:
        console.log(`  · ${event.agentName} is working…`);
        break;
      case RunEvent.RunResponseContent:
        process.stdout.write(String(event.content));
        break;
      case RunEvent.WorkflowCompleted:
        console.log(
          `\n✔ run ${event.runId.slice(0, 8)} completed, ${event.response.metrics.totalTokens ?? 0} tokens, saved to ${dbFile}`,
        );
        break;
    }
  }
  const runs = await storage.listRuns("article-demo");
  const session = await storage.readSession("article-demo");
  console.log(
    `  session "article-demo": ${runs.length} run(s), state ${JSON.stringify(session?.sessionState)}`,
  );
} finally {
  await storage.close();
}
