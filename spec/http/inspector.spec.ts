import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineWorkflow, type WorkflowStorage } from "buddy-ai";
import { createHandler, toNodeListener } from "buddy-ai/http";
import { sqliteStorage } from "buddy-ai/sqlite";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";

// Debian's `chromium` package (installed by .ci/run); playwright-core downloads no browser.
const chromiumPath = "/usr/bin/chromium";
const root = join(import.meta.dirname, "../..");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Polls the page until the expectation holds (generous: the whole suite may run beside it). */
const poll = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 10_000, interval: 50 });

/**
 * Loads `url` as a new document. A `goto` that changes only the hash stays in the same document:
 * it returns before the page has handled the change, with the last test's run still shown.
 */
async function visit(page: Page, url: string): Promise<void> {
  await page.goto("about:blank");
  await page.goto(url);
}

const prose =
  "Tides rise and fall twice a day because the Moon pulls the oceans toward it, and the Earth " +
  "turning beneath that bulge carries every coast through high water and low. ";

/** Lets the live article end (it streams until then). */
let release = () => {};
const released = new Promise<void>((resolve) => {
  release = resolve;
});

const research = defineWorkflow(async function research(_ctx, topic: string) {
  return `notes on ${topic}`;
});
const article = defineWorkflow({
  name: "draft-article",
  async *run(ctx, input: { topic: string; words?: number }) {
    const notes = await ctx.run(research, input.topic);
    const outline = await ctx.step("outline", async () => ({ notes: notes.content, parts: 3 }));
    ctx.sessionState.drafts = Number(ctx.sessionState.drafts ?? 0) + 1;
    const words = prose.split(/(?<= )/);
    let ended = false;
    void released.then(() => {
      ended = true;
    });
    for (let i = 0; input.words === undefined ? !ended : i < input.words; i++) {
      yield words[i % words.length] ?? "";
      await sleep(input.words === undefined ? 60 : 0);
    }
    yield "— the end.";
    await ctx.step("publish", async () => ({ parts: outline.parts, url: "/posts/tides" }));
  },
});
const refund = defineWorkflow({
  name: "refund",
  async *run(ctx, order: { id: string; amount: number }) {
    const quote = await ctx.step("quote", async () => ({ order: order.id, total: order.amount }));
    yield `Quote for ${order.id}: ${quote.total} EUR.\n`;
    ctx.sessionState.refunds = Number(ctx.sessionState.refunds ?? 0) + 1;
    const answer = await ctx.waitFor("approval", {
      schema: z.object({ approved: z.boolean() }),
      prompt: { ...quote, question: "Refund this order?" },
    });
    if (!answer.approved) return "Refund declined.";
    const receipt = await ctx.step("pay", async () => ({ receipt: `R-${order.id}` }));
    yield `Refunded, receipt ${receipt.receipt}.`;
  },
});
const summarize = defineWorkflow(async function summarize(ctx, url: string) {
  await ctx.step("fetch-page", async () => {
    throw new Error(`${url} answered 503 Service Unavailable`);
  });
});

const ticker = defineWorkflow(async function* ticker(ctx) {
  while (!ctx.signal.aborted) {
    yield "tick ";
    await sleep(50);
  }
});

// Where Chromium is not installed, the browser spec says so and is skipped, unless
// BUDDY_BROWSER=required (CI sets it, after installing chromium): then it fails.
const browserMissing = !existsSync(chromiumPath);
if (browserMissing) {
  console.warn(
    `[inspector spec] no Chromium at ${chromiumPath}: the browser spec is skipped ` +
      "(apt-get install chromium to run it; CI does).",
  );
}

describe.skipIf(browserMissing && process.env.BUDDY_BROWSER !== "required")(
  "the inspector page in Chromium",
  () => {
    let dir: string;
    let storage: WorkflowStorage;
    let server: Server;
    let readOnly: Server;
    let base: string;
    let readOnlyBase: string;
    let browser: Browser;
    let page: Page;
    const pageErrors: string[] = [];

    /** POSTs to the writable handler; `runs` answers the final RunResponse as JSON. */
    async function post(path: string, body: unknown): Promise<Record<string, unknown>> {
      const response = await fetch(base + path, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(body),
      });
      return (await response.json()) as Record<string, unknown>;
    }
    const listen = async (handler: ReturnType<typeof createHandler>) => {
      const s = createServer(toNodeListener(handler));
      await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
      return [s, `http://127.0.0.1:${(s.address() as AddressInfo).port}`] as const;
    };
    const contentLength = async () =>
      ((await page.locator("#run-content").textContent()) ?? "").length;

    beforeAll(async () => {
      if (!existsSync(chromiumPath)) {
        throw new Error(
          `The inspector spec needs Chromium at ${chromiumPath}: install Debian's package ` +
            "(apt-get install chromium), as .ci/run does.",
        );
      }
      dir = await mkdtemp(join(tmpdir(), "buddy-inspector-"));
      storage = sqliteStorage({ dbFile: join(dir, "inspector.db") });
      const workflows = [article, research, refund, summarize, ticker];
      [server, base] = await listen(createHandler({ storage, workflows, authorize: () => true }));
      // Read-only (no authorize), mounted under a base path.
      const [other, origin] = await listen(
        createHandler({ storage, workflows, basePath: "/buddy" }),
      );
      readOnly = other;
      readOnlyBase = `${origin}/buddy`;
      browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
      page = await browser.newPage({
        viewport: { width: 1200, height: 800 },
        locale: "en-GB",
        timezoneId: "UTC",
      });
      page.setDefaultTimeout(5_000);
      page.on("pageerror", (error) => pageErrors.push(error.message));

      // Some history: a finished article, a refund answered, one waiting, a failed summary.
      await post("/runs", {
        workflowId: article.id,
        input: { topic: "tides", words: 14 },
        sessionId: "blog-weekly",
      });
      const done = await post("/runs", {
        workflowId: refund.id,
        input: { id: "o-1180", amount: 25 },
        sessionId: "support-1180",
      });
      await post(`/runs/${String(done.runId)}/resume`, {
        payloads: { approval: { approved: true } },
      });
      await post("/runs", {
        workflowId: summarize.id,
        input: "https://example.com/report",
        sessionId: "research-42",
      });
      const waiting = await post("/runs", {
        workflowId: refund.id,
        input: { id: "o-1187", amount: 12 },
        sessionId: "support-1187",
        runId: "refund-o-1187",
      });
      expect(waiting.status).toBe("suspended");
    }, 60_000);

    afterAll(async () => {
      release();
      await browser?.close();
      server?.closeAllConnections();
      readOnly?.closeAllConnections();
      await Promise.all([server, readOnly].map((s) => new Promise((r) => s?.close(r))));
      await storage?.close();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    it("lists sessions and their runs, and follows a live run as its content grows", async () => {
      await visit(page, `${base}/`);
      const sessions = page.locator("#sessions a");
      await poll(() => sessions.allTextContents()).toEqual([
        expect.stringContaining("support-1187"),
        expect.stringContaining("research-42"),
        expect.stringContaining("support-1180"),
        expect.stringContaining("blog-weekly"),
      ]);
      await page.getByRole("link", { name: /research-42/ }).click();
      await poll(() => page.locator("#runs a").allTextContents()).toEqual([
        expect.stringMatching(/^error\s*summarize/),
      ]);

      // A run starts while the page is open: the lists pick it up, the run streams.
      const live = post("/runs", {
        workflowId: article.id,
        input: { topic: "tides" },
        sessionId: "blog-weekly",
        runId: "article-live",
      });
      await page.getByRole("link", { name: /blog-weekly/ }).click({ timeout: 10_000 });
      await page.locator('#runs a[href$="run=article-live"]').click({ timeout: 10_000 });
      await poll(() => page.locator("#run-badge").textContent()).toBe("running");
      await poll(contentLength).toBeGreaterThan(20);
      const before = await contentLength();
      await poll(contentLength).toBeGreaterThan(before + 20);
      expect(await page.locator("#run-badge").textContent()).toBe("running");
      await poll(() => page.locator("#run-events li").count()).toBeGreaterThanOrEqual(4);
      // The child run shows under its parent.
      expect(await page.locator("#runs li.child").allTextContents()).toEqual(
        expect.arrayContaining([expect.stringMatching(/completed\s*research/)]),
      );
      await poll(contentLength).toBeGreaterThan(300);
      // The README's screenshot: written to tmp/ on every run (so the tests leave the tree
      // clean), and to docs/ with BUDDY_SCREENSHOT=update.
      const shot = process.env.BUDDY_SCREENSHOT === "update" ? "docs" : "tmp";
      await mkdir(join(root, shot), { recursive: true });
      await page.screenshot({ path: join(root, shot, "inspector.png") });

      release();
      await poll(() => page.locator("#run-badge").textContent()).toBe("completed");
      expect(await page.locator("#run-content").textContent()).toMatch(
        /^Tides rise .* the end\.$/s,
      );
      expect(await page.locator("#run-events li").last().textContent()).toContain(
        "WorkflowCompleted",
      );
      expect((await live).status).toBe("completed");
      expect(await page.locator(".steps li").allTextContents()).toEqual([
        expect.stringContaining("outline"),
        expect.stringContaining("publish"),
      ]);
    }, 60_000);

    it("shows a refused resume inline: not authorized, not JSON", async () => {
      // Read-only: the form's POST gets 403, shown in the page.
      await visit(page, `${readOnlyBase}/#session=support-1187&run=refund-o-1187`);
      await poll(() => page.locator("#run-badge").textContent()).toBe("suspended");
      await page.getByRole("button", { name: "Resume" }).click();
      await poll(() => page.getByRole("alert").textContent()).toMatch(/^HTTP 403: /);
      await page.getByLabel("Answer for approval (JSON)").fill("yes please");
      await page.getByRole("button", { name: "Resume" }).click();
      await poll(() => page.getByRole("alert").textContent()).toMatch(/^The answer is not JSON/);
      expect(await page.locator("#run-badge").textContent()).toBe("suspended");
    });

    it("shows an answer its schema refuses (422) inline; the run stays suspended", async () => {
      await visit(page, `${base}/#session=support-1187&run=refund-o-1187`);
      await poll(() => page.locator("#run-badge").textContent()).toBe("suspended");
      await page.getByLabel("Answer for approval (JSON)").fill('{ "approved": "yes" }');
      await page.getByRole("button", { name: "Resume" }).click();
      await poll(() => page.getByRole("alert").textContent()).toMatch(/^HTTP 422: /);
      expect(await page.locator("#run-badge").textContent()).toBe("suspended");
    });

    it("answers a pending wait through its form and sees the run complete", async () => {
      await visit(page, `${base}/#session=support-1187`);
      await page.locator('#runs a[href$="run=refund-o-1187"]').click();
      await poll(() => page.locator("#run-badge").textContent()).toBe("suspended");
      const prompt = await page.locator(".wait pre").textContent();
      expect(JSON.parse(prompt ?? "")).toEqual({
        order: "o-1187",
        total: 12,
        question: "Refund this order?",
      });
      // As a person would: once the page has caught up with the run's events.
      await poll(() => page.locator("#run-events").textContent()).toContain("WorkflowSuspended");
      const answer = page.getByLabel("Answer for approval (JSON)");
      await answer.fill('{ "approved": true }');
      await poll(() => answer.inputValue()).toBe('{ "approved": true }');
      await page.getByRole("button", { name: "Resume" }).click();
      await poll(() => page.locator("#run-badge").textContent()).toBe("completed");
      await poll(() => page.locator("#run-content").textContent()).toBe(
        "Quote for o-1187: 12 EUR.\nRefunded, receipt R-o-1187.",
      );
      await poll(() => page.locator(".wait").count()).toBe(0);
      await poll(() => page.locator("#runs a").first().textContent()).toMatch(/^completed/);
      expect((await storage.getRun("refund-o-1187"))?.status).toBe("completed");
    });

    it("cancels a running run with its button", async () => {
      const ticking = post("/runs", {
        workflowId: ticker.id,
        sessionId: "clock",
        runId: "ticker-1",
      });
      await visit(page, `${base}/#session=clock&run=ticker-1`);
      await poll(() => page.locator("#run-badge").textContent()).toBe("running");
      await poll(contentLength).toBeGreaterThan(10);
      await page.getByRole("button", { name: "Cancel run" }).click();
      await poll(() => page.locator("#run-badge").textContent()).toBe("cancelled");
      expect(await page.locator("#run-events li").last().textContent()).toContain(
        "WorkflowCancelled",
      );
      await ticking;
      expect((await storage.getRun("ticker-1"))?.status).toBe("cancelled");
      await poll(() => page.getByRole("button", { name: "Cancel run" }).count()).toBe(0);
    }, 30_000);

    it("fits a 375 px wide screen without scrolling sideways", async () => {
      await page.setViewportSize({ width: 375, height: 800 });
      for (const hash of ["", "#session=blog-weekly&run=article-live", "#session=research-42"]) {
        await visit(page, `${base}/${hash}`);
        await poll(() => page.locator("#sessions a").count()).toBe(5);
        await sleep(300);
        const [scrollWidth, clientWidth] = await page.evaluate<[number, number]>(
          "[document.documentElement.scrollWidth, document.documentElement.clientWidth]",
        );
        expect(scrollWidth, `horizontal overflow at ${hash || "/"}`).toBeLessThanOrEqual(
          clientWidth,
        );
      }
      expect(pageErrors).toEqual([]);
    }, 30_000);
  },
);
