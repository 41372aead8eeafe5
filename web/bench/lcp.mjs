// How fast the web UI opens a long chat and how smoothly it scrolls, in Debian's Chromium against
// the real server: a session with --messages messages (seeded by `seed_chat` into a fresh SQLite
// file), opened --runs times. Prints the largest contentful paint, the time until the newest
// answer is on screen, and frame times while scrolling back through the loaded history.
//
//   cargo build --release -p boocode-server -p boocode-bench
//   (cd web && npm run build && node bench/lcp.mjs --messages 10000 --runs 5)
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium } from "@playwright/test";

const { values } = parseArgs({ options: { messages: { type: "string", default: "10000" }, runs: { type: "string", default: "5" }, profile: { type: "string", default: "release" } } });
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const target = process.env.CARGO_TARGET_DIR ?? join(root, "target");
const messages = Number(values.messages);
const runs = Number(values.runs);

const work = mkdtempSync(join(tmpdir(), "boocode-lcp-"));
const repo = join(work, "repos", "big");
mkdirSync(repo, { recursive: true });
const db = `sqlite://${join(work, "big.db")}`;
const seeded = Date.now();
const session = execFileSync(join(target, values.profile, "seed_chat"), ["--database", db, "--project", repo, "--messages", String(messages)]).toString().trim();
console.error(`seeded ${messages} messages in ${((Date.now() - seeded) / 1000).toFixed(1)} s`);

const server = spawn(join(target, values.profile, "boocode-server"), ["--bind", "127.0.0.1:0", "--database", db, "--model-url", "http://127.0.0.1:9", "--web-dir", join(root, "web/dist")], {
  env: { ...process.env, HOME: work, BOOCODE_ALLOWED_ROOTS: join(work, "repos"), BOOCODE_LOG: "warn" },
  stdio: ["ignore", "pipe", "pipe"],
});
const base = await new Promise((ok, fail) => {
  setTimeout(() => fail(new Error("the server did not start")), 30_000);
  createInterface({ input: server.stderr }).on("line", (line) => {
    const m = line.match(/^listening on (http:\/\/\S+)/);
    if (m) ok(m[1]);
  });
});

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
const last = `Answer ${messages / 2 - 1}:`;
const results = [];
for (let run = 0; run < runs; run += 1) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__lcp = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__lcp = Math.max(window.__lcp, entry.startTime);
    }).observe({ type: "largest-contentful-paint", buffered: true });
  });
  const started = Date.now();
  await page.goto(`${base}/s/${session}`);
  await page.getByText(last).waitFor({ timeout: 60_000 });
  const shown = Date.now() - started;
  // Let the observer settle, then read it (LCP is final once the user scrolls).
  await page.waitForTimeout(500);
  const lcp = await page.evaluate(() => window.__lcp);
  // Scroll back through the loaded history, counting frame times.
  const frames = await page.evaluate(async () => {
    const log = document.querySelector('[role="log"]');
    const times = [];
    let previous = performance.now();
    let running = true;
    const tick = (now) => {
      times.push(now - previous);
      previous = now;
      if (running) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    for (let i = 0; i < 60; i += 1) {
      log.scrollTop -= 600;
      await new Promise((r) => setTimeout(r, 16));
    }
    running = false;
    await new Promise((r) => setTimeout(r, 50));
    return times.slice(1);
  });
  frames.sort((a, b) => a - b);
  const p95 = frames[Math.floor(frames.length * 0.95)] ?? 0;
  const long = frames.filter((f) => f > 50).length;
  const rendered = await page.locator('[role="log"] [data-index]').count();
  if (run === 0) {
    // The history past the newest page is there on demand.
    await page.getByRole("button", { name: "Load earlier messages" }).click();
    await page.locator('[role="log"]').evaluate((log) => (log.scrollTop = 0));
    await page.getByText(`Where is route ${messages / 2 - 200} handled?`, { exact: true }).waitFor({ timeout: 30_000 });
    console.error("older pages load on demand");
  }
  results.push({ lcp, shown, p95, long, frames: frames.length, rendered });
  await context.close();
}
await browser.close();
server.kill("SIGTERM");
rmSync(work, { recursive: true, force: true });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const spread = (xs) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
const lcps = results.map((r) => r.lcp);
const shown = results.map((r) => r.shown);
const p95s = results.map((r) => r.p95);
console.log(
  JSON.stringify({ messages, runs, lcp_ms: { median: Math.round(median(lcps)), range: spread(lcps) }, newest_answer_shown_ms: { median: Math.round(median(shown)), range: spread(shown) }, scroll_frame_p95_ms: { median: Number(median(p95s).toFixed(1)), range: spread(p95s) }, frames_over_50ms: results.map((r) => r.long), rows_rendered: results[0].rendered }, null, 1),
);
