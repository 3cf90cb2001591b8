/**
 * The inspector page's script (plain browser JavaScript, run as is): reads the handler's JSON
 * routes, follows a run's events over `EventSource`, and builds every node with `textContent`
 * (never markup from data). `BASE` is defined before it runs: the handler's base path.
 */
export const inspectorScript = `
"use strict";
const TERMINAL = {
  WorkflowCompleted: "completed", WorkflowError: "error",
  WorkflowCancelled: "cancelled", WorkflowSuspended: "suspended",
};
const EVENTS = ["WorkflowStarted", "RunResponseContent", "StepStarted", "StepCompleted",
  "RunStarted", "RunCompleted", "RunError", "ToolCallStarted", "ToolCallCompleted",
  "WorkflowCompleted", "WorkflowError", "WorkflowCancelled", "WorkflowSuspended"];
const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const S = {
  sessionId: null, session: null, runId: null, detail: null, notice: null,
  events: [], lastSeq: 0, live: undefined, status: null, source: null, dirty: false,
  // answerFields: the answer field (a textarea) of each wait of the selected run, by wait name.
  answerFields: {}, keys: {},
};

/** The nodes and strings among nested arrays, without the empty values. */
const nodes = (...xs) => xs.flat(Infinity).filter((x) => x !== undefined && x !== null && x !== false);
/** An element; strings among the children become text nodes. */
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true && !k.startsWith("aria-") ? "" : String(v));
  }
  el.append(...nodes(children));
  return el;
}
const json = (v) => (v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v, null, 2));
const oneLine = (v) => (v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v));
const ms = (n) => (n < 10 ? n.toFixed(1) : Math.round(n)) + " ms";
const shortId = (id) => (id.length <= 18 ? id : id.slice(0, 8) + "…" + id.slice(-7));
const badge = (status) => h("span", { class: "badge " + status }, status);
function when(time) {
  if (typeof time !== "number") return "";
  const d = new Date(time);
  const today = d.toDateString() === new Date().toDateString();
  const text = today ? d.toLocaleTimeString() : d.toLocaleString();
  return h("time", { datetime: d.toISOString(), title: d.toISOString() }, text);
}
const hrefFor = (session, run) =>
  "#session=" + enc(session || "") + (run ? "&run=" + enc(run) : "");

async function api(path, init) {
  const headers = { accept: "application/json" };
  if (init && init.body) headers["content-type"] = "application/json";
  const res = await fetch(BASE + path, Object.assign({ headers }, init));
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const issues = body && Array.isArray(body.issues) ? body.issues.map((i) => i.message) : [];
    const error = (body && body.error) || res.statusText;
    throw new Error("HTTP " + res.status + ": " + [error, ...issues].join(" — "));
  }
  return body;
}
/** Whether the data differ from what was last drawn under this key (redraw only then). */
function changed(key, data) {
  const text = JSON.stringify(data);
  if (S.keys[key] === text) return false;
  S.keys[key] = text;
  return true;
}
function say(text) { $("status").textContent = text; }

// ---- sessions and runs -------------------------------------------------------------------
async function loadSessions() {
  const sessions = await api("/sessions?limit=200");
  if (!changed("sessions", [sessions, S.sessionId])) return;
  const items = sessions.map((s) =>
    h("li", null, h("a", { href: hrefFor(s.sessionId), "aria-current": s.sessionId === S.sessionId },
      h("span", { class: "title" }, s.sessionName || s.sessionId),
      h("span", { class: "meta" }, s.workflowData.name, s.userId ? " · " + s.userId : "", " · ",
        when(s.updatedAt)))));
  $("sessions").replaceChildren(...items);
  if (!items.length) $("sessions").append(h("li", { class: "empty" }, "No sessions in this store yet."));
}

async function loadRuns() {
  if (!S.sessionId) {
    $("runs").replaceChildren(h("li", { class: "empty" }, "Select a session."));
    $("session-facts").replaceChildren();
    return;
  }
  const sessionId = S.sessionId;
  const { session, runs } = await api("/sessions/" + enc(sessionId));
  if (S.sessionId !== sessionId) return;
  S.session = session;
  if (!changed("runs", [session, runs, S.runId])) return;
  $("session-facts").replaceChildren(h("span", { class: "mono" }, session.sessionId),
    session.userId ? " · user " + session.userId : "", " · created ", when(session.createdAt));
  const children = (id) => runs.filter((r) => r.parentRunId === id);
  const item = (r, child) =>
    h("li", { class: child ? "child" : null },
      h("a", { href: hrefFor(sessionId, r.runId), "aria-current": r.runId === S.runId },
        h("span", { class: "title" }, badge(r.status), r.workflowId),
        h("span", { class: "meta" }, h("span", { class: "mono", title: r.runId }, shortId(r.runId)), " · ",
          when(r.createdAt))));
  const tree = (r, depth) => [item(r, depth > 0), ...children(r.runId).map((c) => tree(c, depth + 1))];
  const tops = runs.filter((r) => !r.parentRunId || !runs.some((p) => p.runId === r.parentRunId));
  $("runs").replaceChildren(...nodes(tops.reverse().map((r) => tree(r, 0))));
  if (!runs.length) $("runs").append(h("li", { class: "empty" }, "No runs in this session."));
}

// ---- the selected run ------------------------------------------------------------------
async function loadRun() {
  const runId = S.runId;
  const detail = await api("/runs/" + enc(runId));
  if (S.runId !== runId) return null;
  S.detail = detail;
  S.status = detail.run.status;
  return detail;
}

async function selectRun(runId) {
  stopFollowing();
  Object.assign(S, { runId, detail: null, notice: null, events: [], lastSeq: 0, live: undefined, answerFields: {} });
  S.status = null;
  renderRun();
  if (!runId) return;
  try {
    const detail = await loadRun();
    if (!detail) return;
    if (!S.sessionId) location.replace(hrefFor(detail.run.sessionId, runId));
  } catch (e) {
    S.notice = { text: e.message };
  }
  renderRun();
  // A child run's events are in its top-level run's stream.
  if (S.detail && !S.detail.run.parentRunId) follow();
}

function stopFollowing() {
  if (S.source) S.source.close();
  S.source = null;
}

/** Follows the run's events from the stored log, then live, until its terminal event. */
function follow() {
  stopFollowing();
  const runId = S.runId;
  const from = S.lastSeq;
  const source = new EventSource(BASE + "/runs/" + enc(runId) + "/events?after=" + from);
  S.source = source;
  const onEvent = (message) => {
    const ev = JSON.parse(message.data);
    if (S.source !== source || ev.seq <= S.lastSeq) return;
    addEvent(ev);
    if (ev.runId === runId && TERMINAL[ev.event]) {
      stopFollowing();
      settle(TERMINAL[ev.event], from);
    }
  };
  for (const name of EVENTS) source.addEventListener(name, onEvent);
  source.onmessage = onEvent;
  source.onerror = async () => {
    if (S.source !== source) return;
    const detail = await loadRun().catch(() => null);
    // The stream ended or failed: keep reconnecting only while the run is running.
    if (S.source === source && (!detail || detail.run.status !== "running")) {
      stopFollowing();
      render();
    }
  };
}

/** After a terminal event: reload the run; follow again if it went on (resumed, recovered). */
async function settle(status, from) {
  const detail = await loadRun().catch(() => null);
  if (!detail) return;
  const wentOn = detail.run.status === "running" || detail.run.status !== status;
  if (wentOn && S.lastSeq > from) follow();
  await loadRuns().catch(() => {});
  renderRun();
}

function addEvent(ev) {
  // A run that kept no log ends with an event made from its stored row, without a seq.
  if (typeof ev.seq === "number") S.lastSeq = ev.seq;
  const top = ev.runId === S.runId;
  if (ev.event === "RunResponseContent") {
    S.live = typeof ev.content === "string" && typeof S.live === "string" ? S.live + ev.content : ev.content;
    const last = S.events[S.events.length - 1];
    if (last && last.event === "RunResponseContent" && last.runId === ev.runId) {
      last.count++;
      last.lastSeq = ev.seq;
      last.text = typeof S.live === "string" ? last.text + oneLine(ev.content) : oneLine(ev.content);
    } else {
      S.events.push({ event: ev.event, runId: ev.runId, seq: ev.seq, lastSeq: ev.seq, count: 1,
        text: oneLine(ev.content) });
    }
  } else {
    S.events.push(ev);
  }
  if (top && ev.event === "WorkflowStarted") S.status = "running";
  if (top && TERMINAL[ev.event]) {
    S.status = TERMINAL[ev.event];
    if ("content" in ev) S.live = ev.content;
  }
  if (!S.dirty) {
    S.dirty = true;
    requestAnimationFrame(render);
  }
}

/** What the run's content is now: streamed so far while it runs, else as stored. */
function shownContent() {
  const run = S.detail.run;
  if (S.status === "running" && S.live !== undefined) return S.live;
  if (run.status === S.status || S.live === undefined) return run.content;
  return S.live;
}

function render() {
  S.dirty = false;
  if (!S.detail) return;
  const status = S.status || S.detail.run.status;
  const badgeEl = $("run-badge");
  if (badgeEl) badgeEl.replaceWith(Object.assign(badge(status), { id: "run-badge" }));
  const content = $("run-content");
  if (content) {
    const text = json(shownContent());
    content.textContent = text === "" && status !== "running" ? "(none)" : text;
    content.classList.toggle("live", status === "running" && S.source !== null);
  }
  const events = $("run-events");
  if (events) renderEvents(events);
  const live = $("run-live");
  if (live) live.textContent = S.source ? "following live" : "";
}

function eventGist(ev) {
  switch (ev.event) {
    case "WorkflowStarted": return ev.workflowName;
    case "RunResponseContent": return (ev.count > 1 ? "×" + ev.count + " " : "") + ev.text.slice(0, 300);
    case "StepStarted": return ev.stepName;
    case "StepCompleted": return ev.stepName + " · " + ms(ev.durationMs) + (ev.error ? " · " + ev.error : "");
    case "RunStarted": return ev.agentName + " · " + ev.model;
    case "RunCompleted": return ev.agentName;
    case "RunError": return ev.agentName + ": " + ev.error;
    case "ToolCallStarted": return ev.toolName + " " + oneLine(ev.args);
    case "ToolCallCompleted": return ev.toolName + " → " + oneLine(ev.result);
    case "WorkflowCompleted": return oneLine(ev.content);
    case "WorkflowError": return ev.errorName + ": " + ev.error;
    case "WorkflowCancelled": return ev.reason;
    case "WorkflowSuspended": return "waiting for " + (ev.waitingFor || []).map((w) => w.name).join(", ");
    default: return "";
  }
}
function eventClass(name) {
  if (/Error/.test(name)) return "ev-error";
  if (name === "WorkflowCompleted") return "ev-done";
  if (name === "WorkflowSuspended" || name === "WorkflowCancelled") return "ev-wait";
  if (/^(Run|ToolCall)/.test(name)) return "ev-agent";
  return "";
}
/** Appends the events not shown yet (and redraws the last one, a run of deltas that may grow). */
function renderEvents(list) {
  if (!S.events.length) {
    const parent = S.detail.run.parentRunId;
    list.replaceChildren(h("li", { class: "empty" }, S.source ? "Waiting for events…"
      : parent ? ["In the stream of its parent run, ", h("a", { class: "mono", href: hrefFor(S.detail.run.sessionId, parent) }, parent), "."]
      : "No events stored for this run."));
    return;
  }
  if (list.querySelector(".empty")) list.replaceChildren();
  let i = list.children.length;
  if (i > 0 && S.events[i - 1].count !== undefined) i--;
  for (; i < S.events.length; i++) {
    const row = eventRow(S.events[i]);
    if (list.children[i]) list.children[i].replaceWith(row);
    else list.append(row);
  }
}

function eventRow(ev) {
  const seq = ev.lastSeq && ev.lastSeq !== ev.seq ? ev.seq + "–" + ev.lastSeq : (ev.seq ?? "–");
  const body = h("pre");
  const details = h("details", {
    ontoggle: () => { if (details.open) body.textContent = ev.text !== undefined ? ev.text : json(ev); },
  }, h("summary", null, h("span", { class: "seq" }, seq),
    h("span", { class: "what " + eventClass(ev.event) }, ev.event),
    h("span", { class: "gist" }, eventGist(ev) || "")), body);
  return h("li", { "data-event": ev.event }, details);
}

function section(title, ...children) {
  return [h("h3", null, title), ...children];
}

function renderRun() {
  const root = $("run");
  if (!S.runId) {
    root.replaceChildren(h("p", { class: "empty" }, S.sessionId ? "Select a run." : "Select a session, then a run."));
    return;
  }
  const notice = S.notice ? h("p", { class: "notice " + (S.notice.info ? "info" : ""), role: "alert" }, S.notice.text) : null;
  if (!S.detail) {
    root.replaceChildren(...nodes(notice || h("p", { class: "empty" }, "Loading…")));
    return;
  }
  const { run, steps, waitingFor } = S.detail;
  const status = S.status || run.status;
  const canCancel = status === "running" || status === "suspended";
  const session = S.session && S.session.sessionId === run.sessionId ? S.session : null;
  root.replaceChildren(...nodes(
    h("div", { class: "run-head" },
      h("h2", null, run.workflowId), Object.assign(badge(status), { id: "run-badge" }),
      h("span", { id: "run-live", class: "meta", "aria-live": "polite" }),
      h("span", { class: "actions" },
        canCancel ? h("button", { type: "button", class: "danger", onclick: cancelRun }, "Cancel run") : null)),
    h("dl", { class: "facts" },
      h("div", null, h("dt", null, "run"), h("dd", { class: "mono" }, run.runId)),
      run.parentRunId ? h("div", null, h("dt", null, "parent"),
        h("dd", null, h("a", { class: "mono", href: hrefFor(run.sessionId, run.parentRunId) }, run.parentRunId))) : null,
      h("div", null, h("dt", null, "started"), h("dd", null, when(run.createdAt))),
      status !== "running" && run.metrics && run.metrics.durationMs !== undefined
        ? h("div", null, h("dt", null, "took"), h("dd", null, ms(run.metrics.durationMs))) : null),
    notice,
    status === "suspended" && waitingFor && waitingFor.length
      ? section("Waiting for", ...waitingFor.map(waitForm)) : null,
    run.error ? section("Error", h("pre", { class: "step-error" }, json(run.error))) : null,
    section("Content", h("pre", { id: "run-content", class: "content" })),
    section("Input", h("pre", null, run.input === undefined ? "(none)" : json(run.input))),
    section("Session state", session ? h("pre", null, json(session.sessionState)) : h("p", { class: "meta" }, "Session not loaded.")),
    section("Steps", steps.length
      ? h("ol", { class: "rows steps" }, steps.map(stepRow))
      : h("p", { class: "meta" }, "No steps.")),
    section("Events", h("ol", { id: "run-events", class: "rows" })),
    run.messages && run.messages.length
      ? h("details", null, h("summary", null, "Messages (" + run.messages.length + ")"), h("pre", null, json(run.messages)))
      : null,
  ));
  render();
}

function stepRow(step) {
  const took = typeof step.endedAt === "number" ? ms(step.endedAt - step.startedAt) : "";
  const outcome = step.error ? step.error.name + ": " + step.error.message : oneLine(step.output);
  return h("li", null, h("details", null,
    h("summary", null, h("span", { class: "seq" }, step.seq),
      h("span", { class: "what" }, step.name, " ", h("span", { class: "kind" }, step.kind)),
      h("span", { class: "gist" + (step.error ? " step-error" : "") }, badge(step.status), " ", took, " ", outcome)),
    h("pre", null, step.error ? json(step.error) : json(step.output))));
}

function waitForm(wait, i) {
  const id = "wait-" + i;
  // One field per wait, kept while the run stays selected: drawing the run panel again (a
  // refresh, a settled stream) moves it into the new form, with what is typed, focus and caret.
  let text = S.answerFields[wait.name];
  if (!text) {
    text = h("textarea", { name: wait.name, spellcheck: "false" });
    text.value = /^approve:/.test(wait.name) ? '{ "approved": true }' : "{}";
    S.answerFields[wait.name] = text;
  }
  text.id = id;
  const button = h("button", { type: "submit", class: "primary" }, "Resume");
  return h("form", { class: "wait", "data-wait": wait.name, onsubmit: (e) => {
    e.preventDefault();
    resumeRun(wait.name, text.value, button);
  } },
    h("p", { class: "wait-name" }, wait.name),
    wait.deadline ? h("p", { class: "meta" }, "gives up at ", when(wait.deadline)) : null,
    wait.prompt !== undefined ? h("pre", null, json(wait.prompt)) : null,
    h("label", { for: id }, "Answer for " + wait.name + " (JSON)"), text, button);
}

async function resumeRun(name, text, button) {
  let payload;
  try {
    payload = JSON.parse(text);
  } catch (e) {
    S.notice = { text: "The answer is not JSON: " + e.message };
    return renderNotice();
  }
  const runId = S.runId;
  button.disabled = true;
  S.notice = null;
  renderNotice();
  let settled = false;
  api("/runs/" + enc(runId) + "/resume", {
    method: "POST", body: JSON.stringify({ payloads: { [name]: payload } }),
  }).catch((e) => {
    if (S.runId !== runId) return;
    button.disabled = false;
    S.notice = { text: e.message };
    renderNotice();
  }).finally(() => { settled = true; });
  // Follow as soon as the run leaves "suspended" (the answer to the POST comes at its end).
  while (!settled && S.runId === runId) {
    await sleep(150);
    const detail = await api("/runs/" + enc(runId)).catch(() => null);
    if (detail && detail.run.status !== "suspended") break;
  }
  if (S.runId !== runId) return;
  const detail = await loadRun().catch(() => null);
  // Refused: keep the form as typed, with the reason above it.
  if (S.notice && (!detail || detail.run.status === "suspended")) return;
  S.answerFields = {};
  renderRun();
  follow();
  loadRuns().catch(() => {});
}

async function cancelRun(e) {
  const button = e.currentTarget;
  button.disabled = true;
  try {
    await api("/runs/" + enc(S.runId) + "/cancel", { method: "POST" });
    S.notice = { text: "Cancellation requested.", info: true };
    if (!S.source) await loadRun();
    renderRun();
  } catch (err) {
    button.disabled = false;
    S.notice = { text: err.message };
    renderNotice();
  }
}

function renderNotice() {
  const old = document.querySelector("#run .notice");
  if (!S.notice) return old && old.remove();
  const el = h("p", { class: "notice" + (S.notice && S.notice.info ? " info" : ""), role: "alert" }, S.notice ? S.notice.text : "");
  if (old) old.replaceWith(el);
  else document.querySelector("#run .facts").after(el);
}

// ---- navigation --------------------------------------------------------------------------
let routed = 0;
async function route() {
  // A newer navigation wins: an older one still loading stops where it is.
  const token = ++routed;
  const params = new URLSearchParams(location.hash.slice(1));
  const sessionId = params.get("session") || null;
  const runId = params.get("run") || null;
  const narrow = matchMedia("(max-width: 820px)").matches;
  try {
    if (sessionId !== S.sessionId) {
      S.sessionId = sessionId;
      loadSessions().catch(() => {});
      await loadRuns();
      if (token !== routed) return;
      if (narrow && sessionId && !runId) $("runs-pane").scrollIntoView();
    }
    if (runId !== S.runId) {
      await selectRun(runId);
      loadRuns().catch(() => {});
      if (narrow && runId) $("run-pane").scrollIntoView();
    }
  } catch (e) {
    say(e.message);
  }
}

async function refresh() {
  try {
    await Promise.all([loadSessions(), loadRuns()]);
    // A run not followed may have moved on elsewhere (resumed, cancelled, recovered).
    if (S.runId && !S.source && S.detail) {
      const before = S.detail.run.status;
      const detail = await loadRun();
      if (detail && detail.run.status !== before) {
        renderRun();
        if (detail.run.status === "running" && !detail.run.parentRunId) follow();
      }
    }
    say("");
  } catch (e) {
    say(e.message);
  }
}

addEventListener("hashchange", route);
$("refresh").addEventListener("click", refresh);
setInterval(() => { if (!document.hidden) refresh(); }, 3000);
renderRun();
refresh().then(route);
`;
