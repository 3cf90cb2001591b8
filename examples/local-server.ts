/**
 * A local OpenAI-compatible server (Chat Completions, streamed, with token usage) to run the agent
 * examples through the real `openai()` model — the SDK, HTTP, streaming — without an API key.
 * It is the specs' test server: every answer echoes the last user message, word by word.
 *
 *   npx tsx examples/local-server.ts          # prints the line to use, serves until Ctrl-C
 *   OPENAI_BASE_URL=http://127.0.0.1:<port>/v1 npm start     # in another terminal
 */
import { startOpenAIServer } from "../spec/support/openai-server.js";

const server = await startOpenAIServer();
console.log(
  `Local OpenAI-compatible server at ${server.url}/v1 (Ctrl-C stops it). Run an example:`,
);
console.log(`  OPENAI_BASE_URL=${server.url}/v1 npm start`);

let seen = 0;
const timer = setInterval(() => {
  for (const request of server.requests.slice(seen)) {
    const last = request.body.messages.at(-1);
    console.log(
      `${request.method} ${request.path} (${request.body.model}): ${JSON.stringify(last?.content)}`,
    );
  }
  seen = server.requests.length;
}, 100);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    clearInterval(timer);
    void server.close().then(() => process.exit(0));
  });
}
