import { inspectorScript } from "./inspector-script.js";
import { inspectorStyle } from "./inspector-style.js";

/**
 * The inspector: one self-contained HTML page (inline CSS and script, nothing fetched from
 * elsewhere) that lists the store's sessions, a session's runs with their status, and a run's
 * input, content, state, steps, pending waits and events, following a live run as it streams;
 * with a form per pending wait to resume it and a button to cancel it. It reads the JSON and SSE
 * routes of `createHandler` under `basePath`, which serves it at `GET /`. A run is linked as
 * `#session=<sessionId>&run=<runId>`.
 *
 * @param basePath - The path the handler's routes live under (`""`, or e.g. `"/buddy"`).
 * @returns The whole HTML document.
 *
 * @example
 * ```ts
 * import { createHandler } from "buddy-ai/http";
 * import { sqliteStorage } from "buddy-ai/sqlite";
 * const storage = sqliteStorage({ dbFile: "tmp/buddy.db" });
 * const handler = createHandler({ storage, workflows: [], basePath: "/buddy" });
 * // The handler answers GET /buddy/ with inspectorPage("/buddy"):
 * const page = await handler(new Request("http://localhost/buddy/"));
 * console.log(page.headers.get("content-type")); // "text/html; charset=utf-8"
 * await storage.close();
 * ```
 */
export function inspectorPage(basePath: string): string {
  // As a JavaScript string literal that cannot close the script element.
  const base = JSON.stringify(basePath.replace(/\/+$/, "")).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>buddy-ai inspector</title>
<link rel="icon" href="data:,">
<style>${inspectorStyle}</style>
</head>
<body>
<header>
  <h1>buddy-ai <span>inspector</span></h1>
  <span id="status" role="status"></span>
  <button id="refresh" type="button">Refresh</button>
</header>
<main>
  <section id="sessions-pane" aria-labelledby="sessions-title">
    <h2 id="sessions-title">Sessions</h2>
    <ul id="sessions" class="list"></ul>
  </section>
  <section id="runs-pane" aria-labelledby="runs-title">
    <h2 id="runs-title">Runs</h2>
    <p id="session-facts"></p>
    <ul id="runs" class="list"></ul>
  </section>
  <section id="run-pane" aria-label="Run">
    <div id="run"></div>
  </section>
</main>
<script>
const BASE = ${base};
${inspectorScript}
</script>
</body>
</html>
`;
}
