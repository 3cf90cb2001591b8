import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { defineWorkflow, run, type WorkflowStorage } from "buddy-ai";
import { createHandler, type HandlerOptions, toNodeListener } from "buddy-ai/http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { approval, greet, httpWorkflows, story } from "../support/http-workflows.js";
import { type Frame, isTerminal, sseFrames } from "../support/sse-client.js";
import {
  postgres,
  type StoreConnection,
  type StoreFactory,
  type StoreHandle,
  sqliteFile,
} from "../support/stores.js";

const root = join(import.meta.dirname, "..", "..");
const leaseMs = 600;
const quiet = { warn: () => {}, debug: () => {} };

/** Serves a handler on 127.0.0.1; resolves its base URL. */
async function serve(options: HandlerOptions): Promise<{ url: string; server: Server }> {
  const server = createServer(toNodeListener(createHandler(options)));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server };
}

function post(url: string, body: unknown, accept = "application/json"): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Reads frames until the run's terminal frame (or the end of the body). */
async function framesUntilEnd(response: Response): Promise<Frame[]> {
  const frames: Frame[] = [];
  for await (const frame of sseFrames(response)) {
    frames.push(frame);
    if (isTerminal(frame)) break;
  }
  return frames;
}

/** A worker process (see spec/support/http-worker.ts); `port` once it serves. */
function worker(connection: StoreConnection, role: "serve" | "recover") {
  const task = JSON.stringify({ connection, role, leaseMs });
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(root, "spec", "support", "http-worker.ts"), task],
    { cwd: root, stdio: ["ignore", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout });
  const first = new Promise<string>((resolve) => lines.once("line", resolve));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { child, first, exited };
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

describe("buddy-ai/http on one process", () => {
  let handle: StoreHandle;
  let storage: WorkflowStorage;
  let url: string;
  let server: Server;
  beforeEach(async () => {
    handle = await sqliteFile.create();
    storage = handle.open({ leaseMs, busyTimeoutMs: 300 });
    ({ url, server } = await serve({
      storage,
      workflows: httpWorkflows,
      authorize: (request) => request.headers.get("authorization") !== "Bearer nobody",
      logger: quiet,
      maxBodyBytes: 4096,
      keepAliveMs: 100,
    }));
  });
  afterEach(async () => {
    server.closeAllConnections();
    server.close();
    await handle.cleanup();
  });

  it("streams a run as SSE frames: id = seq from 1, event = name, data = the event", async () => {
    const response = await post(
      `${url}/runs`,
      { workflowId: "story", input: { tokens: 3, delayMs: 1 } },
      "text/event-stream",
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const frames = await framesUntilEnd(response);
    expect(frames.map((f) => f.id)).toEqual(frames.map((_, i) => i + 1));
    for (const f of frames) {
      expect(f.data.event).toBe(f.event);
      expect(f.data.seq).toBe(f.id);
    }
    expect(frames[0]?.event).toBe("WorkflowStarted");
    const last = frames.at(-1);
    expect(last?.event).toBe("WorkflowCompleted");
    expect(last?.data.content).toBe("t0 t1 t2 ");
    const contents = frames
      .filter((f) => f.event === "RunResponseContent")
      .map((f) => f.data.content);
    expect(contents).toEqual(["t0 ", "t1 ", "t2 "]);
  });

  it("answers JSON: the final RunResponse, and reads runs, steps and sessions back", async () => {
    const response = await post(`${url}/runs`, {
      workflowId: "greet",
      input: { name: "Ada" },
      sessionId: "s-1",
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { content: string; status: string; runId: string };
    expect(body).toMatchObject({ content: "Hello, Ada!", status: "completed", sessionId: "s-1" });
    const runRes = await fetch(`${url}/runs/${body.runId}`);
    expect(await runRes.json()).toMatchObject({
      run: { runId: body.runId, status: "completed" },
      steps: [],
    });
    const sessions = (await (await fetch(`${url}/sessions`)).json()) as { sessionId: string }[];
    expect(sessions.map((s) => s.sessionId)).toEqual(["s-1"]);
    const session = (await (await fetch(`${url}/sessions/s-1`)).json()) as { runs: unknown[] };
    expect(session.runs).toHaveLength(1);
    // The stored log replays the finished run, ending with its terminal event.
    const replay = await framesUntilEnd(await fetch(`${url}/runs/${body.runId}/events`));
    expect(replay.map((f) => f.event)).toEqual([
      "WorkflowStarted",
      "RunResponseContent",
      "WorkflowCompleted",
    ]);
    expect(replay.map((f) => f.id)).toEqual([1, 2, 3]);
  });

  it("answers every error with its status and { error, issues? }, never a stack", async () => {
    const cases: [Promise<Response>, number][] = [
      [post(`${url}/runs`, "{not json"), 400],
      [post(`${url}/runs`, "[1,2]"), 400],
      [post(`${url}/runs`, { input: 1 }), 400],
      [post(`${url}/runs`, { workflowId: "nope", input: 1 }), 404],
      [post(`${url}/runs`, { workflowId: "greet", input: { name: "" } }), 422],
      [post(`${url}/runs`, { workflowId: "greet", input: { name: "x".repeat(5000) } }), 413],
      [
        post(`${url}/runs`, { workflowId: "greet", input: { name: "a" }, sessionId: "a\u0000b" }),
        400,
      ],
      [fetch(`${url}/runs/unknown-run`), 404],
      [fetch(`${url}/runs/unknown-run/events`), 404],
      [fetch(`${url}/runs/bad%ZZ`), 400],
      [fetch(`${url}/runs/x/events?after=-1`), 400],
      [post(`${url}/runs/unknown-run/resume`, { payloads: {} }), 404],
      [post(`${url}/runs/unknown-run/resume`, { payloads: 3 }), 400],
      [post(`${url}/runs/unknown-run/cancel`, {}), 404],
      [fetch(`${url}/sessions/none`), 404],
      [fetch(`${url}/elsewhere`), 404],
    ];
    for (const [pending, status] of cases) {
      const response = await pending;
      expect(response.status).toBe(status);
      const body = (await response.json()) as { error: string; issues?: unknown };
      expect(typeof body.error).toBe("string");
      expect(JSON.stringify(body)).not.toMatch(/\n\s+at /);
      if (status === 422) {
        expect(body.issues).toEqual([expect.objectContaining({ path: ["name"] })]);
      }
    }
  });

  it("refuses to start, resume or cancel unless authorize allows it (403)", async () => {
    const refused = await fetch(`${url}/runs`, {
      method: "POST",
      headers: { authorization: "Bearer nobody" },
      body: JSON.stringify({ workflowId: "greet", input: { name: "Ada" } }),
    });
    expect(refused.status).toBe(403);
    expect(await storage.listSessions()).toEqual([]);
    // Without authorize, the read routes answer and the others do not.
    const open = await serve({ storage, workflows: httpWorkflows });
    try {
      expect(
        (await post(`${open.url}/runs`, { workflowId: "greet", input: { name: "A" } })).status,
      ).toBe(403);
      expect((await post(`${open.url}/runs/x/cancel`, {})).status).toBe(403);
      expect((await post(`${open.url}/runs/x/resume`, { payloads: {} })).status).toBe(403);
      expect((await fetch(`${open.url}/sessions`)).status).toBe(200);
    } finally {
      open.server.closeAllConnections();
      open.server.close();
    }
  });

  it("answers 409 when the session stays busy past the store's busyTimeoutMs", async () => {
    const first = post(`${url}/runs`, {
      workflowId: "story",
      input: { tokens: 10, delayMs: 60 },
      sessionId: "busy",
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = await post(`${url}/runs`, {
      workflowId: "greet",
      input: { name: "B" },
      sessionId: "busy",
    });
    expect(second.status).toBe(409);
    expect(((await second.json()) as { error: string }).error).toMatch(/busy/i);
    expect((await first).status).toBe(200);
  });

  it("keeps a run going when its client disconnects; Last-Event-ID resumes with no gap and no duplicate", async () => {
    const controller = new AbortController();
    const response = await fetch(`${url}/runs`, {
      method: "POST",
      headers: { accept: "text/event-stream", "content-type": "application/json" },
      body: JSON.stringify({ workflowId: "story", input: { tokens: 12, delayMs: 25 } }),
      signal: controller.signal,
    });
    const seen: Frame[] = [];
    for await (const frame of sseFrames(response)) {
      seen.push(frame);
      if (seen.length === 4) break;
    }
    controller.abort();
    const runId = seen[0]?.data.runId as string;
    await new Promise((resolve) => setTimeout(resolve, 80));
    const rest = await framesUntilEnd(
      await fetch(`${url}/runs/${runId}/events`, {
        headers: { "last-event-id": String(seen.at(-1)?.id) },
      }),
    );
    const ids = [...seen, ...rest].map((f) => f.id);
    expect(ids).toEqual(ids.map((_, i) => i + 1));
    const final = rest.at(-1);
    expect(final?.event).toBe("WorkflowCompleted");
    expect(final?.data.content).toBe(Array.from({ length: 12 }, (_, i) => `t${i} `).join(""));
    expect((await storage.getRun(runId))?.status).toBe("completed");
    // ?after= does the same, from the store's log once the run is over.
    const tail = await framesUntilEnd(
      await fetch(`${url}/runs/${runId}/events?after=${ids.length - 2}`),
    );
    expect(tail.map((f) => f.id)).toEqual([ids.length - 1, ids.length]);
  });

  it("resumes a suspended run over HTTP, and cancels a running one", async () => {
    const asked = await post(`${url}/runs`, { workflowId: "approval", input: null });
    expect(asked.status).toBe(202);
    const suspended = (await asked.json()) as {
      runId: string;
      status: string;
      waitingFor: { name: string }[];
    };
    expect(suspended.status).toBe("suspended");
    expect(suspended.waitingFor.map((w) => w.name)).toEqual(["approval"]);
    const view = (await (await fetch(`${url}/runs/${suspended.runId}`)).json()) as {
      waitingFor: unknown[];
    };
    expect(view.waitingFor).toEqual([expect.objectContaining({ name: "approval", prompt: "ok?" })]);
    const refused = await post(`${url}/runs/${suspended.runId}/resume`, {
      payloads: { approval: { ok: "yes" } },
    });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { issues: unknown[] }).issues).toEqual([
      expect.objectContaining({ path: ["ok"] }),
    ]);
    expect((await storage.getRun(suspended.runId))?.status).toBe("suspended");
    const resumed = await post(
      `${url}/runs/${suspended.runId}/resume`,
      { payloads: { approval: { ok: true } } },
      "text/event-stream",
    );
    const frames = await framesUntilEnd(resumed);
    expect(frames.at(-1)?.event).toBe("WorkflowCompleted");
    expect(frames.at(-1)?.data.content).toBe("asking; answer: yes");
    // Its events count on from the first part's.
    const all = await framesUntilEnd(await fetch(`${url}/runs/${suspended.runId}/events?after=0`));
    expect(all.map((f) => f.event)).toEqual([
      "WorkflowStarted",
      "RunResponseContent",
      "WorkflowSuspended",
    ]);
    const full = await storage.listEvents?.(suspended.runId);
    const seqs = (full ?? []).map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(frames[0]?.id).toBeGreaterThan(all.at(-1)?.id ?? 0);
    expect(frames.at(-1)?.id).toBe(seqs.at(-1));
    expect(
      (
        await post(`${url}/runs/${suspended.runId}/resume`, {
          payloads: { approval: { ok: true } },
        })
      ).status,
    ).toBe(409);

    const running = await post(
      `${url}/runs`,
      { workflowId: "story", input: { tokens: 100, delayMs: 20 } },
      "text/event-stream",
    );
    const frames2: Frame[] = [];
    for await (const frame of sseFrames(running)) {
      frames2.push(frame);
      if (frames2.length === 3) {
        const cancel = await post(`${url}/runs/${frame.data.runId}/cancel`, {});
        expect(cancel.status).toBe(202);
      }
      if (isTerminal(frame)) break;
    }
    expect(frames2.at(-1)?.event).toBe("WorkflowCancelled");
    const runId = frames2[0]?.data.runId as string;
    expect((await storage.getRun(runId))?.status).toBe("cancelled");
    expect((await post(`${url}/runs/${runId}/cancel`, {})).status).toBe(409);
  });

  it("cancels a suspended run: it ends cancelled, and its log says so", async () => {
    const asked = (await (
      await post(`${url}/runs`, { workflowId: "approval", input: null })
    ).json()) as { runId: string };
    const cancel = await post(`${url}/runs/${asked.runId}/cancel`, {});
    expect(cancel.status).toBe(200);
    expect((await storage.getRun(asked.runId))?.status).toBe("cancelled");
    const frames = await framesUntilEnd(await fetch(`${url}/runs/${asked.runId}/events?after=3`));
    expect(frames.map((f) => [f.id, f.event])).toEqual([[4, "WorkflowCancelled"]]);
  });

  it("sends keep-alive comments on an idle stream", async () => {
    const slow = defineWorkflow(async function* slowOne(_ctx, _input: unknown) {
      await new Promise((resolve) => setTimeout(resolve, 350));
      yield "done";
    });
    const { url: slowUrl, server: slowServer } = await serve({
      storage,
      workflows: [slow],
      authorize: () => true,
      keepAliveMs: 100,
    });
    try {
      const response = await post(
        `${slowUrl}/runs`,
        { workflowId: slow.id, input: null },
        "text/event-stream",
      );
      const text = await response.text();
      expect(text.match(/^: keep-alive$/gm)?.length ?? 0).toBeGreaterThanOrEqual(2);
      expect(text).toMatch(/event: WorkflowCompleted/);
    } finally {
      slowServer.closeAllConnections();
      slowServer.close();
    }
  });
});

const shared: StoreFactory[] = [sqliteFile, postgres];
describe.each(shared)("buddy-ai/http across processes: $name", (factory) => {
  let handle: StoreHandle;
  let storage: WorkflowStorage;
  let url: string;
  let server: Server;
  beforeEach(async () => {
    handle = await factory.create();
    storage = handle.open({ leaseMs });
    ({ url, server } = await serve({
      storage,
      workflows: httpWorkflows,
      authorize: () => true,
      pollMs: 20,
      logger: quiet,
    }));
  });
  afterEach(async () => {
    server.closeAllConnections();
    server.close();
    await handle.cleanup();
  });

  async function producer(): Promise<{ url: string; child: ChildProcess }> {
    const w = worker(handle.connection as StoreConnection, "serve");
    children.push(w.child);
    const port = (await w.first).replace("port ", "");
    return { url: `http://127.0.0.1:${port}`, child: w.child };
  }

  it("a reader here follows a run produced in another process, and cancels one there", async () => {
    const a = await producer();
    const started = await post(
      `${a.url}/runs`,
      { workflowId: "story", input: { tokens: 15, delayMs: 15 } },
      "text/event-stream",
    );
    const first = await sseFrames(started).next();
    const runId = (first.value as Frame).data.runId as string;
    const frames = await framesUntilEnd(await fetch(`${url}/runs/${runId}/events`));
    const ids = frames.map((f) => f.id);
    expect(ids).toEqual(ids.map((_, i) => i + 1));
    expect(frames.at(-1)?.data.content).toBe(
      Array.from({ length: 15 }, (_, i) => `t${i} `).join(""),
    );

    const long = await post(
      `${a.url}/runs`,
      { workflowId: "story", input: { tokens: 200, delayMs: 20 } },
      "text/event-stream",
    );
    const longId = ((await sseFrames(long).next()).value as Frame).data.runId as string;
    expect((await post(`${url}/runs/${longId}/cancel`, {})).status).toBe(202);
    const end = await framesUntilEnd(await fetch(`${url}/runs/${longId}/events`));
    expect(end.at(-1)?.event).toBe("WorkflowCancelled");
    expect((await storage.getRun(longId))?.status).toBe("cancelled");
  }, 30_000);

  it("the producer killed mid-run, recovered by a third process: the reader still gets the final content", async () => {
    const a = await producer();
    const started = await post(
      `${a.url}/runs`,
      { workflowId: "story", input: { tokens: 20, delayMs: 25 } },
      "text/event-stream",
    );
    const firstFrame = (await sseFrames(started).next()).value as Frame;
    const runId = firstFrame.data.runId as string;
    const reader = framesUntilEnd(await fetch(`${url}/runs/${runId}/events`));
    await new Promise((resolve) => setTimeout(resolve, 250));
    a.child.kill("SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, leaseMs + 100));
    const c = worker(handle.connection as StoreConnection, "recover");
    children.push(c.child);
    expect(await c.first).toBe("recovered");
    const frames = await reader;
    const final = frames.at(-1);
    if (final?.event !== "WorkflowCompleted")
      console.log(JSON.stringify(frames.map((f) => [f.id, f.event])), await storage.getRun(runId));
    expect(final?.event).toBe("WorkflowCompleted");
    expect(final?.data.content).toBe(Array.from({ length: 20 }, (_, i) => `t${i} `).join(""));
    const ids = frames.map((f) => f.id as number);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    expect((await storage.getRun(runId))?.status).toBe("completed");
  }, 30_000);
});

it("toSSEResponse frames any run's stream", async () => {
  const { toSSEResponse } = await import("buddy-ai/http");
  const { execute } = await import("buddy-ai");
  const response = toSSEResponse(execute(story, { tokens: 2, delayMs: 1 }));
  expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const frames = await framesUntilEnd(response);
  const seen = frames.filter((f) => !f.event.startsWith("Step")).map((f) => f.event);
  expect(seen).toEqual([
    "WorkflowStarted",
    "RunResponseContent",
    "RunResponseContent",
    "WorkflowCompleted",
  ]);
  expect(frames.map((f) => f.id)).toEqual(frames.map((_, i) => i + 1));
  expect((await run(greet, { name: "x" })).content).toBe("Hello, x!");
  expect(approval.id).toBe("approval");
});

it("toSSEResponse: the client going away cancels the run (its finally blocks run)", async () => {
  const { toSSEResponse } = await import("buddy-ai/http");
  const { execute } = await import("buddy-ai");
  let closed = false;
  const endless = async function* endless() {
    try {
      for (let i = 0; ; i++) {
        yield `t${i} `;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      closed = true;
    }
  };
  const response = toSSEResponse(execute(endless, undefined));
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const first = await reader.read();
  expect(new TextDecoder().decode(first.value)).toMatch(/^id: 1\nevent: WorkflowStarted\n/);
  await reader.cancel();
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(closed).toBe(true);
});
