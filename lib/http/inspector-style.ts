/** The inspector page's stylesheet: system fonts, restrained colours, stacked panes on a phone. */
export const inspectorStyle = `
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --panel: #fff; --fg: #1d2330; --muted: #5f6b7a; --line: #e2e5ea;
  --accent: #2557d6; --hover: #f0f3f8; --selected: #e8effd; --code: #f3f4f6;
  --running: #1d4ed8; --running-bg: #dbe7fe; --completed: #166534; --completed-bg: #dcf5e3;
  --error: #b42318; --error-bg: #fde4e1; --suspended: #8a4b00; --suspended-bg: #fdefc8;
  --cancelled: #4b5563; --cancelled-bg: #e8eaee;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111418; --panel: #181c22; --fg: #e4e7ec; --muted: #98a2b3; --line: #2a303a;
    --accent: #7aa2ff; --hover: #1f252e; --selected: #1f2a40; --code: #1f242c;
    --running: #9dbcff; --running-bg: #1c2c4f; --completed: #8fdca8; --completed-bg: #16331f;
    --error: #ff9d92; --error-bg: #40191a; --suspended: #f6c26b; --suspended-bg: #3a2a0c;
    --cancelled: #c0c6d0; --cancelled-bg: #2a2f37;
  }
}
* { box-sizing: border-box; }
html, body { margin: 0; }
body {
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  background: var(--bg); color: var(--fg);
}
a { color: inherit; text-decoration: none; }
button, textarea { font: inherit; color: inherit; }
button {
  border: 1px solid var(--line); background: var(--panel); border-radius: 6px;
  padding: 5px 12px; cursor: pointer;
}
button:hover { background: var(--hover); }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { color: var(--error); }
button:disabled { opacity: .6; cursor: default; }
:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
header {
  display: flex; align-items: center; gap: 12px; height: 48px; padding: 0 16px;
  background: var(--panel); border-bottom: 1px solid var(--line);
}
header h1 { font-size: 15px; margin: 0; font-weight: 600; }
header h1 span { color: var(--muted); font-weight: 400; }
#status { margin-left: auto; color: var(--muted); font-size: 12px; }
main {
  display: grid; grid-template-columns: 260px 300px minmax(0, 1fr);
  height: calc(100vh - 48px);
}
main > section { overflow: auto; min-width: 0; border-right: 1px solid var(--line); }
main > section:last-child { border-right: 0; background: var(--panel); }
h2 {
  font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted);
  margin: 0; padding: 12px 16px 8px; font-weight: 600;
}
h3 { font-size: 13px; margin: 20px 0 6px; font-weight: 600; }
.list { list-style: none; margin: 0; padding: 0 8px 16px; }
.list a { display: block; padding: 8px 10px; border-radius: 6px; overflow-wrap: anywhere; }
.list a:hover { background: var(--hover); }
.list a[aria-current="true"] { background: var(--selected); }
.list .child { margin-left: 18px; }
.title { display: flex; align-items: center; gap: 8px; font-weight: 500; }
.meta { display: block; color: var(--muted); font-size: 12px; }
.mono, code, pre { font-family: var(--mono); font-size: 12px; }
.empty { color: var(--muted); padding: 4px 16px; margin: 0; }
.badge {
  display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 11px;
  font-weight: 600; line-height: 18px; white-space: nowrap;
  color: var(--cancelled); background: var(--cancelled-bg);
}
.badge.running { color: var(--running); background: var(--running-bg); }
.badge.running::before {
  content: ""; display: inline-block; width: 6px; height: 6px; margin-right: 5px;
  border-radius: 50%; background: currentColor; vertical-align: 1px;
  animation: pulse 1.2s ease-in-out infinite;
}
.badge.completed { color: var(--completed); background: var(--completed-bg); }
.badge.error { color: var(--error); background: var(--error-bg); }
.badge.suspended { color: var(--suspended); background: var(--suspended-bg); }
@keyframes pulse { 50% { opacity: .3; } }
#run { padding: 16px 24px 40px; max-width: 980px; }
.run-head { display: flex; flex-wrap: wrap; align-items: center; gap: 10px; }
.run-head h2 { all: unset; font-size: 18px; font-weight: 600; overflow-wrap: anywhere; }
.run-head .actions { margin-left: auto; }
.facts { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 6px 0 0; color: var(--muted); }
.facts dt { display: inline; }
.facts dd { display: inline; margin: 0 0 0 4px; color: var(--fg); overflow-wrap: anywhere; }
pre {
  margin: 0; padding: 10px 12px; background: var(--code); border-radius: 6px;
  white-space: pre-wrap; overflow-wrap: anywhere; max-height: 420px; overflow: auto;
}
pre.content { font-family: inherit; font-size: 14px; min-height: 40px; }
pre.content.live::after {
  content: ""; display: inline-block; width: 7px; height: 1em; margin-left: 2px;
  background: var(--running); vertical-align: -2px; animation: pulse 1s step-end infinite;
}
.notice {
  margin: 12px 0 0; padding: 8px 12px; border-radius: 6px;
  background: var(--error-bg); color: var(--error); overflow-wrap: anywhere;
}
.notice.info { background: var(--running-bg); color: var(--running); }
.wait {
  border: 1px solid var(--line); border-left: 3px solid var(--suspended);
  border-radius: 6px; padding: 10px 12px; margin: 0 0 10px;
}
.wait-name { font-weight: 600; font-family: var(--mono); font-size: 13px; margin: 0 0 6px; }
.wait label { display: block; color: var(--muted); font-size: 12px; margin: 8px 0 4px; }
.wait textarea {
  display: block; width: 100%; min-height: 56px; padding: 8px; border-radius: 6px;
  border: 1px solid var(--line); background: var(--panel); font-family: var(--mono); font-size: 12px;
}
.wait button { margin-top: 8px; }
.rows { list-style: none; margin: 0; padding: 0; border-top: 1px solid var(--line); }
.rows > li { border-bottom: 1px solid var(--line); }
.rows summary, .rows .row {
  display: grid; grid-template-columns: 44px 170px minmax(0, 1fr); gap: 8px;
  padding: 5px 4px; cursor: pointer; align-items: baseline;
}
.rows .row { cursor: default; }
.rows summary::-webkit-details-marker { display: none; }
.rows summary:hover { background: var(--hover); }
.rows details > pre { margin: 0 0 8px; }
.seq { color: var(--muted); text-align: right; font-family: var(--mono); font-size: 12px; }
.what { font-weight: 500; overflow-wrap: anywhere; }
.gist {
  color: var(--muted); font-family: var(--mono); font-size: 12px;
  overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
}
.ev-error, .step-error { color: var(--error); }
.ev-done { color: var(--completed); }
.ev-wait { color: var(--suspended); }
.ev-agent { color: var(--accent); }
.steps .gist { white-space: normal; }
.kind { color: var(--muted); font-weight: 400; font-size: 12px; }
#session-facts { margin: 0; padding: 0 16px 8px; color: var(--muted); font-size: 12px; overflow-wrap: anywhere; }
#session-facts:empty { display: none; }
@media (max-width: 820px) {
  main { display: block; height: auto; }
  main > section { border-right: 0; border-bottom: 1px solid var(--line); overflow: visible; }
  .list { max-height: 40vh; overflow: auto; }
  #run { padding: 12px 14px 32px; }
  .rows summary, .rows .row { grid-template-columns: 36px minmax(0, 1fr); }
  .rows .gist { grid-column: 2; white-space: normal; overflow-wrap: anywhere; }
}
`;
