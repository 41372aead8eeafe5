// End-to-end tests of the web UI: the real boocode-server (serving web/dist) against the
// scripted model from boocode-testkit, driven in Debian's Chromium by playwright-core.
//
//   cargo build -p boocode-server -p boocode-testkit --bin boocode-server --bin scripted-model
//   (cd web && npm run build && npm run e2e)
//
// Screenshots of the main views go to web/e2e/screenshots/ (not committed).
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const target = process.env.CARGO_TARGET_DIR ?? join(root, "target");
const serverBin = process.env.BOOCODE_SERVER_BIN ?? join(target, "debug/boocode-server");
const modelBin = process.env.SCRIPTED_MODEL_BIN ?? join(target, "debug/scripted-model");
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const shots = join(here, "screenshots");
mkdirSync(shots, { recursive: true });

const children = [];
function start(bin, args, env) {
  const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`${bin} did not start`)), 30000);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on("line", (line) => {
        if (process.env.E2E_LOG) console.error(`[${bin.split("/").pop()}] ${line}`);
        const m = line.match(/listening on (http:\/\/\S+)/);
        if (m) {
          clearTimeout(timer);
          resolveUrl(m[1]);
        }
      });
    }
    child.on("exit", (code) => reject(new Error(`${bin} exited with ${code}`)));
  });
}

const work = mkdtempSync(join(tmpdir(), "boocode-e2e-"));
const repo = join(work, "repos", "demo");
mkdirSync(join(repo, "src"), { recursive: true });
writeFileSync(join(repo, "src/main.rs"), "fn main() {\n    serve();\n}\n");
writeFileSync(join(repo, "src/server.rs"), "pub fn serve() {\n    // listens on 8080\n}\n");

const modelUrl = await start(modelBin, [], {});
const push = (reply) => fetch(`${modelUrl}/__push`, { method: "POST", body: JSON.stringify(reply) }).then((r) => r.json());
const base = await start(serverBin, ["--bind", "127.0.0.1:0", "--database", `sqlite://${join(work, "e2e.db")}`, "--model-url", modelUrl, "--web-dir", join(root, "web/dist")], {
  HOME: work,
  XDG_CONFIG_HOME: join(work, "config"),
  XDG_DATA_HOME: join(work, "data"),
  BOOCODE_ALLOWED_ROOTS: join(work, "repos"),
  BOOCODE_PROJECTS_DIR: join(work, "repos"),
  BOOCODE_LOG: "warn",
});

const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

let passed = 0;
let failed = 0;
async function test(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`FAILED - ${name}\n${e.stack ?? e}`);
  }
}
function assert(ok, message) {
  if (!ok) throw new Error(message);
}

const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
const page = await context.newPage();
page.setDefaultTimeout(15000);

await test("create a project on a temp repo and open a session", async () => {
  await page.goto(base);
  await page.getByTestId("project-path").fill(repo);
  await page.getByTestId("add-project").click();
  await page.getByTestId("project").filter({ hasText: "demo" }).waitFor();
  await page.getByTestId("new-session").first().click();
  await page.getByTestId("chat-pane").waitFor();
  await page.screenshot({ path: join(shots, "1-new-session.png") });
});

await test("send a message and see streamed text and a tool card", async () => {
  await push({ reasoning: ["Let me search."], text: ["Searching the code. "], tool_calls: [{ id: "c1", name: "grep", args: ["{\"pattern\":", " \"fn serve\"}"] }], usage: [120, 12] });
  await push({ text: ["The server ", "starts in ", "`src/server.rs:1`."], delay_ms: 150, usage: [180, 9] });
  await push({ text: ["Finding the server"] }); // the session's auto-generated title
  await page.getByTestId("composer").fill("Where does the server start?");
  await page.getByTestId("send").click();
  await page.getByTestId("tool-card").filter({ hasText: "grep" }).waitFor();
  await page.getByText("The server starts in").waitFor();
  await page.locator('[data-testid="message-assistant"][data-status="complete"]').waitFor();
  const card = await page.getByTestId("tool-card").first().textContent();
  assert(card.includes("fn serve"), `tool card shows the arguments: ${card}`);
  await page.getByTestId("tool-card").first().click();
  await page.getByText("src/server.rs:1:pub fn serve()").waitFor();
  await page.getByTestId("session-title").filter({ hasText: "Finding the server" }).waitFor();
  await page.screenshot({ path: join(shots, "2-chat-with-tool-card.png") });
});

await test("stop a turn", async () => {
  await push({ text: ["This will take a while"], stall: true });
  await page.getByTestId("composer").fill("Do something long");
  await page.getByTestId("send").click();
  await page.getByText("This will take a while").waitFor();
  await page.getByTestId("stop").click();
  await page.locator('[data-testid="message-assistant"][data-status="cancelled"]').waitFor();
  await page.getByText("Stopped.").waitFor();
});

await test("reload and see the history", async () => {
  await page.reload();
  await page.getByText("The server starts in").waitFor();
  await page.getByText("This will take a while").waitFor();
  const users = await page.getByTestId("message-user").count();
  assert(users === 2, `two user messages after reload, got ${users}`);
  await page.screenshot({ path: join(shots, "3-after-reload.png") });
});

await test("watch the same session live from a second page", async () => {
  const second = await context.newPage();
  await second.goto(page.url());
  await second.getByText("The server starts in").waitFor();
  await push({ text: ["Live ", "from ", "the ", "other ", "tab."], delay_ms: 200 });
  await page.getByTestId("composer").fill("Say something");
  await page.getByTestId("send").click();
  await second.getByText("Live from").waitFor();
  await second.getByText("Live from the other tab.").waitFor();
  await second.screenshot({ path: join(shots, "4-second-page-live.png") });
  await second.close();
});

await test("open an HTML artifact in a sandboxed frame", async () => {
  await push({ text: ["Here is a page:\n\n```html\n<h1 id=\"hello\">Hello artifact</h1>\n```\n"] });
  await page.getByTestId("composer").fill("Make a page");
  await page.getByTestId("send").click();
  await page.getByTestId("open-artifact").last().click();
  const frame = page.getByTestId("artifact-frame");
  await frame.waitFor();
  const sandbox = await frame.getAttribute("sandbox");
  assert(sandbox === "allow-scripts", `sandboxed without same-origin: ${sandbox}`);
  await page.frameLocator('[data-testid="artifact-frame"]').getByText("Hello artifact").waitFor();
  await page.screenshot({ path: join(shots, "5-artifact.png") });
  await page.getByRole("tab", { name: "Chat 1" }).click();
});

await test("the page has a Content-Security-Policy and a model's remote image or artifact loads nothing", async () => {
  const res = await fetch(base, { headers: { accept: "text/html" } });
  const csp = res.headers.get("content-security-policy") ?? "";
  assert(csp.includes("default-src 'self'") && csp.includes("img-src 'self' data:") && csp.includes("frame-ancestors 'none'"), `CSP: ${csp}`);
  assert(res.headers.get("x-content-type-options") === "nosniff", "nosniff");
  assert(res.headers.get("referrer-policy") === "no-referrer", "no referrer");
  // A listener that counts every request the browser makes to it.
  const hits = [];
  const spy = createServer((req, reply) => { hits.push(req.url); reply.end("x"); });
  await new Promise((r) => spy.listen(0, "127.0.0.1", r));
  const port = spy.address().port;
  try {
    await push({ text: [`Look: ![x](http://127.0.0.1:${port}/leak) and [docs](http://127.0.0.1:${port}/link)\n\n\`\`\`html\n<p>Frame</p><img src="http://127.0.0.1:${port}/frame-img"><script>fetch("http://127.0.0.1:${port}/frame-fetch").catch(()=>{});document.body.append("ran")</script>\n\`\`\`\n`] });
    await page.getByTestId("composer").fill("Show me an image");
    await page.getByTestId("send").click();
    await page.locator(".remote-image").last().waitFor();
    await page.screenshot({ path: join(shots, "5b-remote-image-as-link.png") });
    await page.getByTestId("open-artifact").last().click();
    await page.frameLocator('[data-testid="artifact-frame"]').getByText("ran").waitFor();
    await page.waitForTimeout(500);
    assert(hits.length === 0, `requests reached the spy: ${hits.join(", ")}`);
    const images = await page.locator(`img[src*="${port}"]`).count();
    assert(images === 0, "no <img> points at the spy");
    await page.screenshot({ path: join(shots, "5c-artifact-without-network.png") });
  } finally {
    spy.close();
  }
  await page.getByRole("tab", { name: "Chat 1" }).click();
});

await test("browse files and attach one to the chat", async () => {
  await page.getByTestId("open-files").click();
  await page.getByTestId("tree-item").filter({ hasText: "src" }).click();
  await page.getByTestId("tree-item").filter({ hasText: "server.rs" }).click();
  await page.getByText("listens on 8080").waitFor();
  await page.screenshot({ path: join(shots, "6-file-browser.png") });
  await page.getByTestId("attach").click();
  await page.getByRole("tab", { name: "Chat 1" }).click();
  const draft = await page.getByTestId("composer").inputValue();
  assert(draft.includes("src/server.rs") && draft.includes("listens on 8080"), `the file is attached: ${draft}`);
});

await test("a failed agent turn keeps and shows why it failed", async () => {
  // Chat 1 switched to an agent that is not installed here: its turn fails, with the reason stored.
  const setProvider = (provider) =>
    page.evaluate(async (provider) => {
      const projects = await (await fetch("/api/projects")).json();
      const sessions = await (await fetch(`/api/projects/${projects[0].id}/sessions`)).json();
      const { chats } = await (await fetch(`/api/sessions/${sessions[0].id}`)).json();
      const r = await fetch(`/api/chats/${chats[0].id}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ provider }) });
      return r.status;
    }, provider);
  assert((await setProvider("goose")) === 200, "the chat takes another provider");
  await page.getByTestId("composer").fill("Hello goose");
  await page.getByTestId("send").click();
  await page.locator('[data-testid="message-assistant"][data-status="failed"]').waitFor();
  const notice = page.getByRole("status").filter({ hasText: "goose" });
  await notice.waitFor();
  const text = await notice.textContent();
  assert(text.includes("not installed"), `the reason is shown: ${text}`);
  assert((await page.getByText("This reply failed.").count()) === 0, "no bare failure next to the reason");
  assert((await page.getByText("is not installed").count()) === 1, "the reason is shown once");
  await notice.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, "9-failed-turn-reason.png") });
  assert((await setProvider("boocode")) === 200, "and back to BooCode's own loop");
});

await test("a phone-sized screen uses a drawer", async () => {
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const p = await phone.newPage();
  await p.goto(page.url());
  await p.getByRole("tab", { name: "Chat 1" }).click();
  await p.getByText("The server starts in").waitFor();
  const sidebar = await p.getByTestId("sidebar").boundingBox();
  assert(sidebar && sidebar.x + sidebar.width <= 1, `the sidebar is off-screen: ${JSON.stringify(sidebar)}`);
  const send = await p.getByTestId("send").boundingBox();
  assert(send && send.height >= 44, `tap targets are 44 px: ${JSON.stringify(send)}`);
  await p.screenshot({ path: join(shots, "7-phone-chat.png") });
  await p.getByTestId("menu").click();
  await p.waitForTimeout(300);
  const open = await p.getByTestId("sidebar").boundingBox();
  assert(open && open.x >= 0, "the drawer opens");
  await p.screenshot({ path: join(shots, "8-phone-drawer.png") });
  await p.getByTestId("menu").click();
  await p.waitForTimeout(300);
  const reason = p.getByRole("status").filter({ hasText: "goose" });
  await reason.scrollIntoViewIfNeeded();
  await p.screenshot({ path: join(shots, "10-phone-failed-turn-reason.png") });
  await phone.close();
});

await browser.close();
for (const child of children) child.kill("SIGTERM");
rmSync(work, { recursive: true, force: true });
console.log(`\n${passed} passed, ${failed} failed`);
// A run that ran nothing is a failure too.
process.exit(failed || passed === 0 ? 1 : 0);
