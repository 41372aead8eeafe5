// The workspace in a browser: a session on a temp repository, a streamed chat with tools, stop,
// reload, a second live page, artifacts, the security headers, files, a failed agent turn, and
// the phone layout. The flows build on each other, in order, on one page.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test, type BrowserContext, type Page } from "@playwright/test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { answerMatching, base, expectAccessible, modelRequests, push, pushAnthropic, repo, shot } from "./support";

test.describe.configure({ mode: "serial" });

let context: BrowserContext;
let page: Page;

test.beforeAll(async ({ browser }) => {
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
});

test.afterAll(async () => {
  await context.close();
});

test("create a project on a temp repo and open a session", async () => {
  await page.goto(base());
  await page.getByTestId("project-path").fill(repo());
  await page.getByTestId("add-project").click();
  await expect(page.getByTestId("project").filter({ hasText: "demo" })).toBeVisible();
  await page.getByTestId("new-session").first().click();
  await expect(page.getByTestId("chat-pane")).toBeVisible();
  await shot(page, "1-new-session");
});

test("send a message and see streamed text and a tool card", async () => {
  await push({ reasoning: ["Let me search."], text: ["Searching the code. "], tool_calls: [{ id: "c1", name: "grep", args: ['{"pattern":', ' "fn serve"}'] }], usage: [120, 12] });
  await push({ text: ["The server ", "starts in ", "`src/server.rs:1`."], delay_ms: 150, usage: [180, 9] });
  await push({ text: ["Finding the server"] }); // the session's auto-generated title
  await page.getByTestId("composer").fill("Where does the server start?");
  await page.getByTestId("send").click();
  await expect(page.getByTestId("tool-card").filter({ hasText: "grep" })).toBeVisible();
  await expect(page.getByText("The server starts in")).toBeVisible();
  await expect(page.locator('[data-testid="message-assistant"][data-status="complete"]')).toBeVisible();
  await expect(page.getByTestId("tool-card").first()).toContainText("fn serve");
  await page.getByTestId("tool-card").first().click();
  await expect(page.getByText("src/server.rs:1:pub fn serve()")).toBeVisible();
  await expect(page.getByTestId("session-title")).toHaveText("Finding the server");
  // The turn's usage over its two steps.
  await expect(page.getByLabel("Usage of this turn").first()).toHaveText("300 in · 21 out");
  // And the session's, over all its chats.
  await expect(page.getByLabel("Usage of this session")).toHaveText("1 turn · 300 in · 21 out");
  await shot(page, "2-chat-with-tool-card");
  await expectAccessible(page, "the chat");
});

test("stop a turn", async () => {
  await push({ text: ["This will take a while"], stall: true });
  await page.getByTestId("composer").fill("Do something long");
  await page.getByTestId("send").click();
  await expect(page.getByText("This will take a while")).toBeVisible();
  await page.getByTestId("stop").click();
  await expect(page.locator('[data-testid="message-assistant"][data-status="cancelled"]')).toBeVisible();
  await expect(page.getByText("Stopped.")).toBeVisible();
});

test("reload and see the history", async () => {
  await page.reload();
  await expect(page.getByText("The server starts in")).toBeVisible();
  await expect(page.getByText("This will take a while")).toBeVisible();
  await expect(page.getByTestId("message-user")).toHaveCount(2);
  await shot(page, "3-after-reload");
});

test("watch the same session live from a second page", async () => {
  const second = await context.newPage();
  await second.goto(page.url());
  await expect(second.getByText("The server starts in")).toBeVisible();
  await push({ text: ["Live ", "from ", "the ", "other ", "tab."], delay_ms: 200 });
  await page.getByTestId("composer").fill("Say something");
  await page.getByTestId("send").click();
  await expect(second.getByText("Live from")).toBeVisible();
  await expect(second.getByText("Live from the other tab.")).toBeVisible();
  await shot(second, "4-second-page-live");
  await second.close();
});

test("open an HTML artifact in a sandboxed frame", async () => {
  await push({ text: ['Here is a page:\n\n```html\n<h1 id="hello">Hello artifact</h1>\n```\n'] });
  await page.getByTestId("composer").fill("Make a page");
  await page.getByTestId("send").click();
  await page.getByTestId("open-artifact").last().click();
  const frame = page.getByTestId("artifact-frame");
  // Scripts may run, but without same-origin access.
  await expect(frame).toHaveAttribute("sandbox", "allow-scripts");
  await expect(page.frameLocator('[data-testid="artifact-frame"]').getByText("Hello artifact")).toBeVisible();
  await shot(page, "5-artifact");
  await page.getByRole("tab", { name: "Chat 1", exact: true }).click();
});

test("the page has a Content-Security-Policy and a model's remote image or artifact loads nothing", async () => {
  const res = await fetch(base(), { headers: { accept: "text/html" } });
  const csp = res.headers.get("content-security-policy") ?? "";
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("img-src 'self' data:");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  // A listener that counts every request the browser makes to it.
  const hits: string[] = [];
  const spy = createServer((req, reply) => {
    hits.push(req.url ?? "");
    reply.end("x");
  });
  await new Promise<void>((r) => spy.listen(0, "127.0.0.1", r));
  const port = (spy.address() as AddressInfo).port;
  try {
    await push({
      text: [
        `Look: ![x](http://127.0.0.1:${port}/leak) and [docs](http://127.0.0.1:${port}/link)\n\n\`\`\`html\n<p>Frame</p><img src="http://127.0.0.1:${port}/frame-img"><script>fetch("http://127.0.0.1:${port}/frame-fetch").catch(()=>{});document.body.append("ran")</script>\n\`\`\`\n`,
      ],
    });
    await page.getByTestId("composer").fill("Show me an image");
    await page.getByTestId("send").click();
    await expect(page.locator(".remote-image").last()).toBeVisible();
    await shot(page, "5b-remote-image-as-link");
    await page.getByTestId("open-artifact").last().click();
    await expect(page.frameLocator('[data-testid="artifact-frame"]').getByText("ran")).toBeVisible();
    await page.waitForTimeout(500);
    expect(hits, "no request reaches the spy").toEqual([]);
    await expect(page.locator(`img[src*="${port}"]`)).toHaveCount(0);
    await shot(page, "5c-artifact-without-network");
  } finally {
    spy.close();
  }
  await page.getByRole("tab", { name: "Chat 1", exact: true }).click();
});

test("browse files and attach one to the chat", async () => {
  await page.getByTestId("open-files").click();
  await page.getByTestId("tree-item").filter({ hasText: "src" }).click();
  await page.getByTestId("tree-item").filter({ hasText: "server.rs" }).click();
  await expect(page.getByText("listens on 8080")).toBeVisible();
  // Highlighted once Shiki has loaded (on demand, not with the page).
  await expect(page.getByTestId("file-browser").locator('pre.shiki span[style*="--shiki-dark"]').first()).toBeVisible();
  await shot(page, "6-file-browser");
  await expectAccessible(page, "the file browser");
  await page.getByTestId("attach").click();
  await page.getByRole("tab", { name: "Chat 1", exact: true }).click();
  const draft = await page.getByTestId("composer").inputValue();
  expect(draft).toContain("src/server.rs");
  expect(draft).toContain("listens on 8080");
});

test("the address reopens the session with the same active tab", async () => {
  await page.getByRole("tab", { name: "Files" }).click();
  await expect(page).toHaveURL(/\/s\/[0-9a-f-]+\?tabs=files$/);
  await page.reload();
  await expect(page.getByRole("tab", { name: "Files" })).toHaveAttribute("aria-selected", "true");
  await expect(page.getByTestId("file-browser")).toBeVisible();
  // The same address in another tab opens the same view.
  const other = await context.newPage();
  await other.goto(page.url());
  await expect(other.getByRole("tab", { name: "Files" })).toHaveAttribute("aria-selected", "true");
  await other.close();
  await page.getByRole("tab", { name: "Chat 1", exact: true }).click();
  await expect(page).toHaveURL(/tabs=[0-9a-f-]+$/);
});

test("rename a session in a dialog", async () => {
  await page.getByRole("button", { name: "Actions for Finding the server" }).click();
  await page.getByRole("menuitem", { name: "Rename…" }).click();
  const dialog = page.getByRole("dialog", { name: "Rename session" });
  await dialog.getByRole("textbox", { name: "Title" }).fill("Where the server starts");
  await shot(page, "6b-rename-dialog");
  await expectAccessible(page, "the rename dialog");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId("session-title")).toHaveText("Where the server starts");
  await expect(page.getByRole("button", { name: "Actions for Where the server starts" })).toBeVisible();
});

test("the command palette opens the file browser and finds sessions", async () => {
  await page.getByRole("tab", { name: "Chat 1", exact: true }).click();
  await page.keyboard.press("Control+k");
  const palette = page.getByRole("dialog", { name: "Commands" });
  await expect(palette).toBeVisible();
  await palette.getByRole("combobox").fill("where the server");
  await expect(palette.getByRole("option", { name: /Where the server starts/ })).toBeVisible();
  await expect(palette.getByRole("option", { name: "New chat" })).toHaveCount(0);
  await shot(page, "6d-command-palette");
  await expectAccessible(page, "the command palette");
  await palette.getByRole("combobox").fill("file browser");
  await page.keyboard.press("Enter");
  await expect(palette).toBeHidden();
  await expect(page.getByRole("tab", { name: "Files" })).toHaveAttribute("aria-selected", "true");
  // The tools' figures: grep ran in the first turn.
  await page.keyboard.press("Control+k");
  await palette.getByRole("combobox").fill("tool stat");
  await page.keyboard.press("Enter");
  const stats = page.getByRole("region", { name: "Tool statistics" });
  const grep = stats.getByRole("row", { name: /^grep/ });
  await expect(grep).toBeVisible();
  expect(Number(await grep.getByRole("cell").first().textContent())).toBeGreaterThanOrEqual(1);
  await shot(page, "6e-tool-stats");
  await expectAccessible(page, "the tool statistics");
  await page.getByRole("tab", { name: "Chat 1", exact: true }).click();
});

test("the composer's settings apply to the next turn", async () => {
  const settings = page.getByRole("group", { name: "Chat settings" });
  await settings.getByRole("combobox", { name: "Model" }).fill("scripted-large");
  await settings.getByRole("combobox", { name: "Model" }).press("Enter");
  await settings.getByRole("combobox", { name: "Thinking" }).click();
  await page.getByRole("option", { name: "High" }).click();
  await expect(settings.getByRole("combobox", { name: "Thinking" })).toHaveText(/High/);
  await settings.getByRole("combobox", { name: "Mode", exact: true }).click();
  await page.getByRole("option", { name: "Review (writes queued)" }).click();
  await expect(settings.getByRole("combobox", { name: "Mode", exact: true })).toHaveText(/Review/);
  // A provider that is not installed here is offered disabled, with how to install it.
  await settings.getByRole("combobox", { name: "Provider" }).click();
  const goose = page.getByRole("option", { name: /goose/ });
  await expect(goose).toHaveAttribute("aria-disabled", "true");
  await expect(goose).toContainText("missing");
  await shot(page, "6c-composer-providers");
  await page.keyboard.press("Escape");

  await push({ text: ["Answered by the large model."] });
  await page.getByTestId("composer").fill("Which model are you?");
  await page.getByTestId("send").click();
  await expect(page.getByText("Answered by the large model.")).toBeVisible();
  const last = (await modelRequests()).at(-1);
  expect(last?.model).toBe("scripted-large");
  expect(last?.reasoning_effort).toBe("high");
  // Review mode offers the write tools.
  const tools = (last?.tools as { function: { name: string } }[]).map((t) => t.function.name);
  expect(tools).toContain("edit_file");
  // After a reload the settings are still there.
  await page.reload();
  await expect(page.getByRole("group", { name: "Chat settings" }).getByRole("combobox", { name: "Model" })).toHaveValue("scripted-large");
  await expect(page.getByRole("group", { name: "Chat settings" }).getByRole("combobox", { name: "Mode", exact: true })).toHaveText(/Review/);
});

test("a review chat's edits wait in the review panel: apply one, reject one, rewind", async () => {
  // Chat 1 is in review mode (the settings test): the model edits two files.
  const main = join(repo(), "src/main.rs");
  const server = join(repo(), "src/server.rs");
  const before = { main: readFileSync(main, "utf8"), server: readFileSync(server, "utf8") };
  await push({
    tool_calls: [
      { id: "e1", name: "edit_file", args: [JSON.stringify({ path: "src/main.rs", old_string: "    serve();", new_string: "    serve();\n    println!(\"started\");" })] },
      { id: "e2", name: "edit_file", args: [JSON.stringify({ path: "src/server.rs", old_string: "// listens on 8080", new_string: "// listens on 9090" })] },
    ],
  });
  await push({ text: ["I proposed two edits."] });
  await page.getByTestId("composer").fill("Log the start and move the port");
  await page.getByTestId("send").click();
  await expect(page.getByText("I proposed two edits.")).toBeVisible();
  // The tool card previews the edit.
  const card = page.getByTestId("tool-card").filter({ hasText: "src/main.rs" }).last();
  await card.locator("summary").click();
  await expect(card.getByLabel("Changes to src/main.rs")).toContainText('+     println!("started");');
  await expect(card.getByLabel("Changes to src/main.rs")).toContainText("-     serve();");
  // Nothing is written until it is applied.
  expect(readFileSync(main, "utf8")).toBe(before.main);
  expect(readFileSync(server, "utf8")).toBe(before.server);

  await page.getByRole("button", { name: "Review 2 changes" }).click();
  const panel = page.getByRole("region", { name: "Review changes" });
  await expect(panel.getByRole("listitem", { name: "src/main.rs, pending" })).toBeVisible();
  await expect(panel.getByRole("listitem", { name: "src/server.rs, pending" })).toBeVisible();
  await expect(panel.getByLabel("1 lines added").first()).toBeVisible();
  await expect(panel).toContainText('println!("started");');
  await shot(page, "16-review-panel");
  await expectAccessible(page, "the review panel");
  await panel.getByRole("radio", { name: "Split" }).click();
  await shot(page, "17-review-split");
  await panel.getByRole("radio", { name: "Unified" }).click();

  await panel.getByRole("listitem", { name: "src/main.rs, pending" }).getByRole("button", { name: "Apply" }).click();
  await expect(panel.getByRole("listitem", { name: "src/main.rs, applied" })).toBeVisible();
  await panel.getByRole("listitem", { name: "src/server.rs, pending" }).getByRole("button", { name: "Reject" }).click();
  await expect(panel.getByRole("listitem", { name: "src/server.rs, rejected" })).toBeVisible();
  expect(readFileSync(main, "utf8")).toContain('println!("started");');
  expect(readFileSync(server, "utf8")).toBe(before.server);

  await panel.getByRole("listitem", { name: "src/main.rs, applied" }).getByRole("button", { name: "Rewind" }).click();
  const confirm = page.getByRole("alertdialog", { name: "Rewind src/main.rs?" });
  await expect(confirm).toContainText('println!("started");');
  await shot(page, "18-rewind-preview");
  await confirm.getByRole("button", { name: "Rewind" }).click();
  await expect(panel.getByRole("listitem", { name: "src/main.rs, rewound" })).toBeVisible();
  expect(readFileSync(main, "utf8")).toBe(before.main);
  await page.getByRole("tab", { name: "Chat 1", exact: true }).click();
});

test("messages sent during a turn: one queued runs next, one cancelled never runs, a steer joins the turn", async () => {
  const userTexts = (body: Record<string, unknown> | undefined) =>
    ((body?.messages as { role: string; content: unknown }[]) ?? []).filter((m) => m.role === "user").map((m) => String(m.content));
  const before = (await modelRequests()).length;
  // A slow first step with a tool call (a step boundary), then its answer, then the queued turn.
  await push({ text: ["Looking ", "at ", "the ", "code."], delay_ms: 3000, tool_calls: [{ id: "q1", name: "grep", args: ['{"pattern":"fn"}'] }] });
  await push({ text: ["Done, and I checked the tests too."] });
  await push({ text: ["Second turn answer."] });
  await page.getByTestId("composer").fill("Explain the code");
  await page.getByTestId("send").click();
  await expect(page.getByText("Looking")).toBeVisible();
  // While the first step streams (12 s): a steer, then two queued messages, one cancelled.
  await page.getByTestId("composer").fill("also check the tests");
  await page.getByRole("button", { name: "Steer" }).click();
  await expect(page.getByTestId("composer")).toHaveValue("");

  await page.getByTestId("composer").fill("Now the second question");
  await page.getByRole("button", { name: "Queue" }).click();
  await page.getByTestId("composer").fill("Never mind this one");
  await page.getByRole("button", { name: "Queue" }).click();
  const queued = page.getByRole("list", { name: "Queued messages" });
  await expect(queued.getByRole("listitem")).toHaveCount(2);
  await shot(page, "19-queued");
  await queued.getByRole("listitem", { name: "Queued: Never mind this one" }).getByRole("button", { name: "Cancel" }).click();
  await expect(queued.getByRole("listitem")).toHaveCount(1);

  await expect(page.getByText("Done, and I checked the tests too.")).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText("Second turn answer.")).toBeVisible();
  await expect(page.getByRole("list", { name: "Queued messages" })).toHaveCount(0);
  const requests = (await modelRequests()).slice(before);
  expect(requests).toHaveLength(3);
  // The steer reached the first turn's next step; the queued message ran as the next turn.
  expect(userTexts(requests[1]).at(-1)).toBe("also check the tests");
  // (The stored steer and the queued message are two user messages in a row: the model gets one.)
  expect(userTexts(requests[2]).at(-1)).toBe("also check the tests\n\nNow the second question");
  expect(JSON.stringify(requests)).not.toContain("Never mind this one");
});

test("a claude-acp chat asks to run a command; the prompt waits in the inbox and is denied there", async ({ browser }) => {
  test.setTimeout(120_000);
  // A second, hidden tab that opted into notifications is told when the prompt arrives.
  const watching = await browser.newContext();
  await watching.grantPermissions(["notifications"], { origin: base() });
  await watching.addInitScript(() => {
    Object.defineProperty(document, "hidden", { get: () => true });
    const seen: string[] = [];
    (window as unknown as { notes: string[] }).notes = seen;
    const Real = window.Notification;
    const Spy = function (title: string, options?: NotificationOptions) {
      seen.push(`${title}: ${options?.body ?? ""}`);
      return new Real(title, options);
    } as unknown as typeof Notification;
    Object.defineProperty(Spy, "permission", { get: () => Real.permission });
    Spy.requestPermission = Real.requestPermission.bind(Real);
    window.Notification = Spy;
  });
  const watcher = await watching.newPage();
  await watcher.goto(base());
  const bell = watcher.getByRole("button", { name: "Notifications when hidden" });
  await bell.click();
  await expect(bell).toHaveAttribute("aria-pressed", "true");
  await page.getByTestId("new-chat").click();
  await expect(page.getByRole("tab", { name: "Chat 2", exact: true })).toHaveAttribute("aria-selected", "true");
  const settings = page.getByRole("group", { name: "Chat settings" });
  await settings.getByRole("combobox", { name: "Provider" }).click();
  await page.getByRole("option", { name: "claude-acp" }).click();
  await expect(settings.getByRole("combobox", { name: "Provider" })).toHaveText(/claude-acp/);
  await settings.getByRole("combobox", { name: "Mode", exact: true }).click();
  await page.getByRole("option", { name: "Review (writes queued)" }).click();
  await expect(settings.getByRole("combobox", { name: "Mode", exact: true })).toHaveText(/Review/);

  const marker = join(repo(), "e2e-ran.txt");
  await pushAnthropic({ tool_use: [{ id: "toolu_e2e", name: "Bash", args: [JSON.stringify({ command: `touch ${marker}`, description: "touch a file" })] }] });
  await pushAnthropic({ text: ["The command was refused, so nothing ran."] });
  await page.getByTestId("composer").fill("Touch a file for me");
  await page.getByTestId("send").click();

  // The prompt shows in the chat, the chat waits for input, and the inbox counts it.
  const card = page.getByRole("note", { name: /Permission for .*: waiting for you/ });
  await expect(card).toBeVisible({ timeout: 60_000 });
  await expect(card).toContainText("touch");
  await expect(page.getByRole("button", { name: "Inbox 1" })).toBeVisible();
  await expect.poll(() => watcher.evaluate(() => (window as unknown as { notes: string[] }).notes)).toContain("BooCode: a prompt waits for you: An agent asks for permission.");
  await watching.close();
  // The chat (its status bar) and its session (the sidebar) both wait for input.
  await expect(page.getByRole("tabpanel", { name: "Chat 2" }).getByRole("img", { name: "waiting for input" })).toBeVisible();
  await expect(page.getByRole("navigation").getByRole("img", { name: "waiting for input" })).toBeVisible();
  await shot(page, "13-agent-asks");

  await page.getByRole("button", { name: "Inbox 1" }).click();
  const item = page.getByRole("listitem", { name: /claude-acp wants/ });
  await expect(item).toBeVisible();
  await shot(page, "14-inbox-panel");
  await expectAccessible(page, "the inbox");
  await item.getByRole("button", { name: "Deny", exact: true }).click();

  // The agent hears the refusal and goes on; nothing ran.
  await expect(page.getByText("The command was refused, so nothing ran.")).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole("note", { name: /Permission for .*: denied/ })).toBeVisible();
  await expect(page.getByRole("button", { name: "Inbox", exact: true })).toBeVisible();
  expect(existsSync(marker), "the denied command did not run").toBe(false);
  await expect(page.getByRole("tabpanel", { name: "Chat 2" }).getByRole("img", { name: "idle" })).toBeVisible();
  await expect(page.getByRole("navigation").getByRole("img", { name: "idle" })).toBeVisible();
  await page.keyboard.press("Escape");
  await shot(page, "15-agent-denied");
  await page.getByRole("tab", { name: "Chat 1", exact: true }).click();
});

test("a failed agent turn keeps and shows why it failed", async () => {
  // Chat 1 switched to an agent that is not installed here: its turn fails, with the reason stored.
  const setProvider = (provider: string) =>
    page.evaluate(async (provider) => {
      const projects = await (await fetch("/api/projects")).json();
      const sessions = await (await fetch(`/api/projects/${projects[0].id}/sessions`)).json();
      const { chats } = await (await fetch(`/api/sessions/${sessions[0].id}`)).json();
      const r = await fetch(`/api/chats/${chats[0].id}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ provider }) });
      return r.status;
    }, provider);
  expect(await setProvider("goose"), "the chat takes another provider").toBe(200);
  await page.getByTestId("composer").fill("Hello goose");
  await page.getByTestId("send").click();
  await expect(page.locator('[data-testid="message-assistant"][data-status="failed"]')).toBeVisible();
  const notice = page.getByRole("status").filter({ hasText: "goose" });
  await expect(notice).toContainText("not installed");
  await expect(page.getByText("This reply failed.")).toHaveCount(0);
  await expect(page.getByText("is not installed"), "the reason is shown once").toHaveCount(1);
  await notice.scrollIntoViewIfNeeded();
  await shot(page, "9-failed-turn-reason");
  expect(await setProvider("boocode"), "and back to BooCode's own loop").toBe(200);
});

test("a phone-sized screen uses a drawer", async ({ browser }) => {
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const p = await phone.newPage();
  await p.goto(page.url());
  await p.getByRole("tab", { name: "Chat 1", exact: true }).click();
  await expect(p.getByText("Hello goose")).toBeVisible();
  const sidebar = await p.getByTestId("sidebar").boundingBox();
  expect(sidebar && sidebar.x + sidebar.width <= 1, `the sidebar is off-screen: ${JSON.stringify(sidebar)}`).toBe(true);
  const send = await p.getByTestId("send").boundingBox();
  expect(send?.height ?? 0, "tap targets are 44 px").toBeGreaterThanOrEqual(44);
  await shot(p, "7-phone-chat");
  await expectAccessible(p, "the chat on a phone");
  await p.getByTestId("menu").click();
  await p.waitForTimeout(300);
  const open = await p.getByTestId("sidebar").boundingBox();
  expect(open && open.x >= 0, "the drawer opens").toBe(true);
  await shot(p, "8-phone-drawer");
  await expectAccessible(p, "the drawer on a phone");
  await p.getByTestId("menu").click();
  await p.waitForTimeout(300);
  const reason = p.getByRole("status").filter({ hasText: "goose" });
  await reason.scrollIntoViewIfNeeded();
  await shot(p, "10-phone-failed-turn-reason");
  // The review tab and the inbox on a phone.
  await p.getByRole("tab", { name: "Review Chat 1" }).click();
  await expect(p.getByRole("region", { name: "Review changes" })).toBeVisible();
  await shot(p, "10b-phone-review");
  // Nothing is wider than the phone: the page itself never scrolls sideways.
  expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await expectAccessible(p, "the review panel on a phone");
  await p.getByRole("button", { name: "Inbox" }).click();
  await expect(p.getByRole("dialog", { name: "Inbox" })).toBeVisible();
  await shot(p, "10c-phone-inbox");
  await phone.close();
});

test("the light theme is remembered, on desktop and phone", async ({ browser }) => {
  await page.getByRole("button", { name: "Switch to the light theme" }).click();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "light");
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "light");
  await expect(page.getByText("Hello goose")).toBeVisible();
  await shot(page, "11-light-chat");
  await expectAccessible(page, "the chat in the light theme");
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const p = await phone.newPage();
  await p.goto(page.url());
  await p.evaluate(() => localStorage.setItem("boocode-theme", "light"));
  await p.reload();
  await expect(p.getByText("Hello goose")).toBeVisible();
  await shot(p, "12-phone-light-chat");
  await phone.close();
  await page.getByRole("button", { name: "Switch to the dark theme" }).click();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
});

test("project settings and a chat's web access reach the model's tools and the path guard", async () => {
  const granted = mkdtempSync(join(tmpdir(), "boocode-grant-"));
  writeFileSync(join(granted, "notes.txt"), "granted e2e text\n");
  await page.getByRole("button", { name: "Settings of demo" }).click();
  const dialog = page.getByRole("dialog", { name: "Settings of demo" });
  await dialog.getByLabel(/Web access by default/).check();
  await dialog.getByLabel("Tool tier").selectOption("core");
  await dialog.getByLabel(/Read grants/).fill("/");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog.getByRole("alert")).toContainText("filesystem root");
  await dialog.getByLabel(/Read grants/).fill(granted);
  await shot(page, "20-project-settings");
  await expectAccessible(page, "the project settings");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toBeHidden();

  const settings = page.getByRole("group", { name: "Chat settings" });
  await expect(settings.getByRole("combobox", { name: "Web access" })).toHaveText(/project default \(on\)/);
  await expect(settings.getByRole("combobox", { name: "Tool tier" })).toHaveText(/project default \(core\)/);
  await push({ tool_calls: [{ id: "g1", name: "view_file", args: [JSON.stringify({ path: join(granted, "notes.txt") })] }] });
  await push({ text: ["The granted notes say hello."] });
  const before = (await modelRequests()).length;
  await page.getByTestId("composer").fill("Read the granted notes");
  await page.getByTestId("send").click();
  await expect(page.getByText("The granted notes say hello.")).toBeVisible();
  const requests = (await modelRequests()).slice(before);
  const names = (r: Record<string, unknown>) => (r.tools as { function: { name: string } }[]).map((t) => t.function.name);
  expect(names(requests[0])).toContain("web_fetch");
  expect(names(requests[0])).not.toContain("view_truncated_output");
  expect(JSON.stringify(requests[1].messages)).toContain("granted e2e text");

  // The chat turns web off for itself; the project default stays on.
  await settings.getByRole("combobox", { name: "Web access" }).click();
  await page.getByRole("option", { name: "Web off" }).click();
  await expect(settings.getByRole("combobox", { name: "Web access" })).toHaveText(/Web off/);
  await push({ text: ["No web here."] });
  await page.getByTestId("composer").fill("Any web?");
  await page.getByTestId("send").click();
  await expect(page.getByText("No web here.")).toBeVisible();
  expect(names((await modelRequests()).at(-1) ?? {})).not.toContain("web_fetch");
  await shot(page, "21-chat-web-and-tier");

  // Back to the defaults for the flows after this one.
  await settings.getByRole("combobox", { name: "Web access" }).click();
  await page.getByRole("option", { name: /project default/ }).click();
  await page.getByRole("button", { name: "Settings of demo" }).click();
  await dialog.getByLabel(/Web access by default/).uncheck();
  await dialog.getByLabel("Tool tier").selectOption("standard");
  await dialog.getByLabel(/Read grants/).fill("");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toBeHidden();
});

test("the setup panel switches the model endpoint at once, and opens by itself when none answers", async () => {
  const model = process.env.E2E_MODEL ?? "";
  await page.getByRole("button", { name: "Model and providers" }).click();
  const panel = page.getByRole("dialog", { name: "Model and providers" });
  await expect(panel.getByRole("region", { name: "Model servers found" })).toContainText("in use");
  await expect(panel.getByRole("region", { name: "Providers" })).toContainText("claude-acp");
  await shot(page, "22-setup-panel");
  await expectAccessible(page, "the setup panel");
  // A dead endpoint, saved: the next page load finds no model server and opens the panel.
  await panel.getByLabel("Endpoint URL").fill("http://127.0.0.1:9");
  await panel.getByRole("button", { name: "Save and use" }).click();
  await expect(panel.getByText("Saved: new messages use it.")).toBeVisible();
  await page.reload();
  await expect(panel).toBeVisible();
  await expect(panel).toContainText("No model server answers");
  await shot(page, "23-first-run-setup");
  // Dismissed, it waits behind the header button, which says why.
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "Model and providers (no model server answers)" }).click();
  await panel.getByLabel("Endpoint URL").fill(model);
  await panel.getByRole("button", { name: "Test" }).click();
  await expect(panel.getByRole("status").filter({ hasText: "Answered" })).toBeVisible();
  await panel.getByRole("button", { name: "Save and use" }).click();
  await expect(panel.getByText("Saved: new messages use it.")).toBeVisible();
  await panel.getByRole("button", { name: "Close" }).click();
  await expect(page.getByRole("button", { name: "Model and providers", exact: true })).toBeVisible();
  await push({ text: ["Back on the scripted model."] });
  await page.getByTestId("composer").fill("Are you there?");
  await page.getByTestId("send").click();
  await expect(page.getByText("Back on the scripted model.")).toBeVisible();
});

test("@ completes a project file in the composer and the file goes with the message", async () => {
  const composer = page.getByTestId("composer");
  await composer.fill("");
  await composer.pressSequentially("What does @serv");
  const files = page.getByRole("listbox", { name: "Files" });
  await expect(files.getByRole("option", { name: "src/server.rs" })).toBeVisible();
  await shot(page, "24-file-mention");
  await expectAccessible(page, "the file completion");
  await composer.press("Enter");
  await expect(composer).toHaveValue("What does @src/server.rs ");
  await composer.pressSequentially("listen on?");
  await push({ text: ["Port 8080."] });
  await page.getByTestId("send").click();
  await expect(page.getByText("Port 8080.")).toBeVisible();
  const sent = JSON.stringify((await modelRequests()).at(-1)?.messages);
  expect(sent).toContain("What does @src/server.rs listen on?");
  expect(sent, "the mentioned file's content went with it").toContain("listens on 8080");
});

test("$ completes a skill in the composer and the skill goes with the message", async () => {
  const composer = page.getByTestId("composer");
  await composer.fill("");
  await composer.pressSequentially("Use $rel");
  const skills = page.getByRole("listbox", { name: "Skills" });
  const option = skills.getByRole("option", { name: /release-notes/ });
  await expect(option).toContainText("Write release notes from the changelog.");
  await shot(page, "24b-skill-completion");
  await expectAccessible(page, "the skill completion");
  await composer.press("Tab");
  await expect(composer).toHaveValue("Use $release-notes ");
  await composer.pressSequentially("for v2");
  await push({ text: ["Added: skills."] });
  await page.getByTestId("send").click();
  await expect(page.getByText("Added: skills.")).toBeVisible();
  const last = (await modelRequests()).at(-1);
  expect(JSON.stringify(last?.messages), "the skill's body went with the message").toContain("List each change under Added, Fixed or Removed.");
  expect(String((last?.messages as { content: string }[])[0].content), "listed in the system prompt").toContain("- release-notes: Write release notes from the changelog.");
  await expect(page.getByText("skill release-notes loaded")).toBeVisible();
});

test("the agent picker lists the project's agents with their tools, and the agent limits the next turn", async () => {
  const settings = page.getByRole("group", { name: "Chat settings" });
  await settings.getByRole("combobox", { name: "Agent" }).click();
  const reviewer = page.getByRole("option", { name: /Agent: reviewer/ });
  await expect(reviewer).toContainText("tools: grep, view_file");
  await shot(page, "25-agent-picker");
  await reviewer.click();
  await expect(settings.getByRole("combobox", { name: "Agent" })).toHaveText(/reviewer/);
  await push({ text: ["Reviewed."] });
  await page.getByTestId("composer").fill("Review please");
  await page.getByTestId("send").click();
  await expect(page.getByText("Reviewed.")).toBeVisible();
  const tools = ((await modelRequests()).at(-1)?.tools as { function: { name: string } }[]).map((t) => t.function.name).sort();
  expect(tools).toEqual(["grep", "view_file"]);
  await settings.getByRole("combobox", { name: "Agent" }).click();
  await page.getByRole("option", { name: "No agent" }).click();
  await expect(settings.getByRole("combobox", { name: "Agent" })).toHaveText(/No agent/);
});

test("the session's changes in one panel; a file changed on disk since shows both versions and is left alone", async () => {
  const main = join(repo(), "src/main.rs");
  await push({ tool_calls: [{ id: "c9", name: "edit_file", args: [JSON.stringify({ path: "src/main.rs", old_string: "    serve();", new_string: "    serve();\n    // from the chat" })] }] });
  await push({ text: ["One more edit proposed."] });
  await page.getByTestId("composer").fill("Add a comment");
  await page.getByTestId("send").click();
  await expect(page.getByText("One more edit proposed.")).toBeVisible();
  const elsewhere = "fn main() {\n    serve();\n    // changed elsewhere\n}\n";
  writeFileSync(main, elsewhere);

  await page.getByRole("button", { name: "Session changes" }).click();
  const panel = page.getByRole("region", { name: "Review the session's changes" });
  const change = panel.getByRole("listitem", { name: "src/main.rs, pending" });
  await expect(change).toBeVisible();
  await expect(panel).toContainText("chats");
  await change.getByRole("button", { name: "Apply" }).click();
  const conflict = panel.getByRole("figure", { name: "Conflict in src/main.rs" });
  await expect(panel.getByRole("alert")).toContainText("changed on disk since");
  await expect(conflict).toContainText("On disk now");
  await expect(conflict).toContainText("This chat's version");
  await expect(conflict).toContainText("// changed elsewhere");
  await expect(conflict).toContainText("// from the chat");
  expect(readFileSync(main, "utf8"), "nothing of it was written").toBe(elsewhere);
  await expect(change).toBeVisible();
  await shot(page, "26-session-review-conflict");
  await expectAccessible(page, "the session's review with a conflict");
  await change.getByRole("button", { name: "Reject" }).click();
  await expect(panel.getByRole("listitem", { name: "src/main.rs, rejected" }).first()).toBeVisible();
  await page.getByRole("tab", { name: "Chat 1", exact: true }).click();
});

/** A one-finger horizontal swipe across `el` (dx < 0: to the left). */
async function swipe(target: import("@playwright/test").Locator, dx: number): Promise<void> {
  await target.evaluate((el, dx) => {
    const r = el.getBoundingClientRect();
    const y = r.top + r.height / 2;
    const x0 = r.left + r.width / 2;
    const touch = (x: number) => new Touch({ identifier: 1, target: el, clientX: x, clientY: y });
    el.dispatchEvent(new TouchEvent("touchstart", { bubbles: true, touches: [touch(x0)], changedTouches: [touch(x0)] }));
    el.dispatchEvent(new TouchEvent("touchend", { bubbles: true, touches: [], changedTouches: [touch(x0 + dx)] }));
  }, dx);
}

test("on a phone a swipe moves between a pane's tabs, and palettes are remembered", async ({ browser }) => {
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const p = await phone.newPage();
  await p.goto(page.url());
  await p.getByRole("tab", { name: "Chat 1", exact: true }).click();
  await swipe(p.getByRole("tabpanel", { name: "Chat 1" }), -150);
  await expect(p.getByRole("tab", { name: "html artifact" }).first()).toHaveAttribute("aria-selected", "true");
  await swipe(p.getByRole("tabpanel").first(), 150);
  await expect(p.getByRole("tab", { name: "Chat 1", exact: true })).toHaveAttribute("aria-selected", "true");
  // A vertical drag is a scroll, not a swipe.
  await p.getByRole("tabpanel", { name: "Chat 1" }).evaluate((el) => {
    const touch = (y: number) => new Touch({ identifier: 1, target: el, clientX: 100, clientY: y });
    el.dispatchEvent(new TouchEvent("touchstart", { bubbles: true, touches: [touch(400)], changedTouches: [touch(400)] }));
    el.dispatchEvent(new TouchEvent("touchend", { bubbles: true, touches: [], changedTouches: [touch(150)] }));
  });
  await expect(p.getByRole("tab", { name: "Chat 1", exact: true })).toHaveAttribute("aria-selected", "true");

  // On a phone the preferences are in the drawer.
  await p.getByTestId("menu").click();
  await p.getByRole("button", { name: /^Palette:/ }).click();
  await p.getByRole("menuitemradio", { name: "Forest" }).click();
  await expect(p.locator("html")).toHaveAttribute("data-palette", "forest");
  await p.reload();
  await expect(p.locator("html")).toHaveAttribute("data-palette", "forest");
  await p.getByTestId("menu").click();
  await expect(p.getByRole("button", { name: "Palette: Forest" })).toBeVisible();
  await shot(p, "27-phone-forest");
  await p.getByRole("button", { name: /^Palette:/ }).click();
  await p.getByRole("menuitemradio", { name: "Ocean" }).click();
  await phone.close();
});

test("every view, desktop and phone, dark and light: screenshots and no serious accessibility violation", async ({ browser }) => {
  test.setTimeout(180_000);
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const p = await phone.newPage();
  await p.goto(page.url());
  for (const [device, view] of [["desktop", page], ["phone", p]] as const) {
    for (const theme of ["dark", "light"] as const) {
      await view.evaluate((t) => {
        localStorage.setItem("boocode-theme", t);
        document.documentElement.dataset.theme = t;
      }, theme);
      const name = (what: string) => `views/${device}-${theme}-${what}`;
      const tab = async (label: string) => {
        const t = view.getByRole("tab", { name: label, exact: true }).first();
        await t.scrollIntoViewIfNeeded();
        await t.click();
      };
      await tab("Chat 1");
      await expect(view.getByTestId("composer").first()).toBeVisible();
      await shot(view, name("chat"));
      await expectAccessible(view, `${device} ${theme}: the chat`);
      await tab("Files");
      await expect(view.getByTestId("file-browser")).toBeVisible();
      await shot(view, name("files"));
      await expectAccessible(view, `${device} ${theme}: the files`);
      await tab("Session changes");
      await expect(view.getByRole("region", { name: "Review the session's changes" })).toBeVisible();
      await shot(view, name("review"));
      await expectAccessible(view, `${device} ${theme}: the review`);
      await tab("Tool statistics");
      await expect(view.getByRole("table")).toBeVisible();
      await shot(view, name("tool-stats"));
      await expectAccessible(view, `${device} ${theme}: the tool statistics`);
      await tab("Chat 1");
      await view.getByRole("button", { name: "Inbox" }).click();
      await expect(view.getByRole("dialog", { name: "Inbox" })).toBeVisible();
      await shot(view, name("inbox"));
      await expectAccessible(view, `${device} ${theme}: the inbox`);
      await view.keyboard.press("Escape");
      await view.getByRole("button", { name: "Commands" }).click();
      await expect(view.getByRole("dialog", { name: "Commands" })).toBeVisible();
      await shot(view, name("palette"));
      await expectAccessible(view, `${device} ${theme}: the command palette`);
      await view.keyboard.press("Escape");
      await view.getByRole("button", { name: "Model and providers", exact: true }).click();
      await expect(view.getByRole("dialog", { name: "Model and providers" })).toBeVisible();
      await shot(view, name("setup"));
      await expectAccessible(view, `${device} ${theme}: the setup panel`);
      await view.keyboard.press("Escape");
    }
  }
  await page.evaluate(() => {
    localStorage.setItem("boocode-theme", "dark");
    document.documentElement.dataset.theme = "dark";
  });
  await phone.close();
});

test("a reload keeps the place in a long chat", async () => {
  await page.getByRole("tab", { name: "Chat 1", exact: true }).click();
  const log = page.getByRole("tabpanel", { name: "Chat 1" }).getByRole("log", { name: "Messages" });
  const first = page.getByText("Where does the server start?");
  // Scroll to the top (the virtualized list renders the first messages there).
  await expect(async () => {
    await log.evaluate((el) => el.scrollTo({ top: 0 }));
    await expect(first).toBeInViewport({ timeout: 500 });
  }).toPass();
  await page.waitForTimeout(300);
  await page.reload();
  await expect(first).toBeInViewport();
  await expect(page.getByText("One more edit proposed.")).not.toBeInViewport();
  await shot(page, "28-reload-keeps-place");
  // Back at the bottom, a reload opens at the newest message again.
  await log.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  await page.waitForTimeout(300);
  await log.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  await page.waitForTimeout(300);
  await page.reload();
  await expect(page.getByText("One more edit proposed.")).toBeInViewport();
});

test("a terminal pane beside the chats: run a command, reload and see the scrollback, the phone's key row", async ({ browser }) => {
  await page.getByRole("button", { name: "Terminal", exact: true }).click();
  const pane = page.getByTestId("terminal-pane");
  await expect(pane).toBeVisible();
  const screen = page.getByTestId("terminal");
  await screen.click();
  await page.keyboard.type("echo e2e-$((6*7)) && pwd\n");
  await expect(screen).toContainText("e2e-42");
  await expect(screen).toContainText(repo());
  await shot(page, "29-terminal");
  await expectAccessible(page, "the terminal");
  // A reload reattaches: the scrollback comes back.
  await page.reload();
  await expect(page.getByTestId("terminal")).toContainText("e2e-42");

  // A code block in a chat goes to the terminal after a confirmation, and waits for Enter.
  await page.getByRole("tab", { name: "Chat 1", exact: true }).click();
  await push({ text: ["Run this:\n\n```sh\necho from-$((20+1))-chat\n```\n"] });
  await page.getByTestId("composer").fill("How do I print it?");
  await page.getByTestId("send").click();
  // The reply's own code block (earlier messages have code blocks too).
  await expect(page.getByText("Run this:")).toBeVisible();
  await page.getByRole("button", { name: "Send to terminal" }).last().click();
  const confirm = page.getByRole("alertdialog", { name: "Send this to a terminal?" });
  await expect(confirm).toContainText("nothing runs until you press Enter");
  await shot(page, "31-send-to-terminal");
  await confirm.getByRole("button", { name: /^Send to / }).click();
  await expect(confirm.getByRole("status")).toContainText("Typed into");
  await confirm.getByRole("button", { name: "Close" }).click();
  await page.getByRole("tab", { name: /^Terminal/ }).click();
  const term = page.getByTestId("terminal");
  await expect(term).toContainText("echo from-$((20+1))-chat");
  await expect(term).not.toContainText("from-21-chat");
  await term.click();
  await page.keyboard.press("Enter");
  await expect(term).toContainText("from-21-chat");

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const p = await phone.newPage();
  await p.goto(page.url());
  const keys = p.getByRole("toolbar", { name: "Terminal keys" });
  await expect(keys).toBeVisible();
  await expect(p.getByTestId("terminal")).toContainText("e2e-42");
  // Up recalls the last command; Enter runs it again.
  await keys.getByRole("button", { name: "Up" }).click();
  await p.getByTestId("terminal").click();
  await p.keyboard.press("Enter");
  // The last command was the one sent from the chat: its output shows a second time.
  await expect.poll(async () => ((await p.getByTestId("terminal").textContent()) ?? "").split("from-21-chat").length - 1).toBeGreaterThanOrEqual(2);
  await shot(p, "30-phone-terminal");
  await phone.close();
});

test("a TUI agent's chat opens its terminal beside it, keeps its screen, and waits in the inbox", async ({ browser }) => {
  test.setTimeout(120_000);
  // A session of its own, whose chat runs the scripted TUI (tests/peers/scripted-tui.sh).
  await page.getByTestId("new-session").first().click();
  await expect(page.getByRole("tab", { name: "Chat 1", exact: true })).toHaveAttribute("aria-selected", "true");
  const settings = page.getByRole("group", { name: "Chat settings" });
  await settings.getByRole("combobox", { name: "Provider" }).click();
  await page.getByRole("option", { name: /^tui/ }).click();
  await expect(settings.getByRole("combobox", { name: "Provider" })).toHaveText(/tui/);
  await page.getByTestId("composer").fill("hello tui");
  await page.getByTestId("send").click();

  // Its terminal opens in a pane beside the chat, drawn by xterm.
  const agentTab = page.getByRole("tab", { name: "Agent scripted-tui.sh" });
  await expect(agentTab).toHaveAttribute("aria-selected", "true");
  const term = page.getByTestId("terminal");
  await expect(term).toContainText('Answer 1: you asked "hello tui"');
  await expect(term).toContainText("Scripted TUI");
  // The chat keeps the screen as text once the TUI goes quiet (the turn's end).
  const excerpt = page.getByTestId("terminal-excerpt").last();
  await expect(excerpt).toContainText('Answer 1: you asked "hello tui"');
  await expect(excerpt).toContainText("running");
  await expect(page.locator('[data-testid="message-assistant"][data-status="complete"]').last()).toBeVisible();

  // Quiet after answering, it waits for input: the inbox says so and opens it.
  const inbox = page.getByRole("button", { name: "Inbox 1" });
  await expect(inbox).toHaveAccessibleDescription("1 agent terminal waits for you");
  await shot(page, "32-tui-agent");
  await inbox.click();
  const waiting = page.getByRole("listitem", { name: "scripted-tui.sh waits for input" });
  await expect(waiting).toBeVisible();
  await shot(page, "33-tui-waiting-in-inbox");
  await expectAccessible(page, "the inbox with a waiting terminal");
  await waiting.getByRole("button", { name: "Open terminal" }).click();
  await expect(agentTab).toHaveAttribute("aria-selected", "true");

  // Typed into by hand, it answers and stops waiting.
  await term.click();
  await page.keyboard.type("by hand\n");
  await expect(term).toContainText('Answer 2: you asked "by hand"');
  await expect(page.getByRole("button", { name: "Inbox", exact: true })).toBeVisible();

  // A reload brings the pane back with the screen; the chat's excerpt opens it too.
  await page.reload();
  await expect(page.getByTestId("terminal")).toContainText("Answer 2");
  await page.getByRole("button", { name: "Open scripted-tui.sh terminal" }).last().click();
  await expect(agentTab).toHaveAttribute("aria-selected", "true");

  // On a phone the chat shows the screen as text.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const p = await phone.newPage();
  await p.goto(page.url());
  await expect(p.getByTestId("terminal-excerpt").last()).toContainText("Answer 1");
  await expect(p.getByTestId("terminal")).toContainText("Answer 2");
  await shot(p, "34-phone-tui-agent");
  await phone.close();

  // Its exit ends the turn, and the chat says how it ended.
  await page.getByTestId("composer").fill("quit");
  await page.getByTestId("send").click();
  await expect(page.getByTestId("terminal-excerpt").last()).toContainText("exited with code 0");
  await expect(page.getByTestId("terminal-excerpt").last()).toContainText("bye from Scripted TUI");
  await expect(page.getByTestId("terminal-pane").getByRole("status")).toContainText("exited with code 0");

  // A terminal the server no longer knows (closed, or lost with a restart: the handshake is
  // refused either way) says so after a reload, and offers a new one.
  const session = new URL(page.url()).pathname.split("/").pop();
  const list = (await (await page.request.get(`${base()}/api/sessions/${session}/terminals`)).json()) as { id: string }[];
  for (const t of list) expect((await page.request.delete(`${base()}/api/terminals/${t.id}`, { headers: { "content-type": "application/json" } })).status()).toBe(204);
  await page.reload();
  await page.getByRole("tab", { name: "Agent scripted-tui.sh" }).click();
  const gone = page.getByTestId("terminal-pane").getByRole("status");
  await expect(gone).toContainText("This terminal has ended (it was closed, or the server restarted).");
  await shot(page, "35-terminal-gone");
  await gone.getByRole("button", { name: "New terminal" }).click();
  await expect(page.getByRole("tab", { name: /^Terminal / })).toHaveAttribute("aria-selected", "true");
});

test("an arena of three from the composer: contenders stream side by side, the summary scores them, the picked one's changes wait in review", async ({ browser }) => {
  test.setTimeout(120_000);
  // Three scripted "models", each creating ARENA.md with its own word; the verify command
  // passes only for "two". (The demo project is not a git repository: the worktrees are copies.)
  for (const [model, call, word] of [["arena-a", "aa", "one"], ["arena-b", "ab", "two"], ["arena-c", "ac", "three"]]) {
    await answerMatching(`"tool_call_id":"${call}"`, { text: [`${model} wrote `, `${word}.`], delay_ms: 300 });
    await answerMatching(`"model":"${model}"`, { text: [`Writing ${word}. `], delay_ms: 300, tool_calls: [{ id: call, name: "create_file", args: [JSON.stringify({ path: "ARENA.md", content: `${word}\n` })] }] });
  }
  // From the composer: the draft becomes the arena's prompt.
  await page.getByTestId("composer").first().fill("Write ARENA.md");
  await page.getByRole("button", { name: "Arena: send to several agents" }).first().click();
  const dialog = page.getByRole("dialog", { name: "Start an arena" });
  await expect(dialog.getByRole("textbox", { name: "Prompt" })).toHaveValue("Write ARENA.md");
  await dialog.getByRole("button", { name: "Add contender" }).click();
  for (const [i, model] of [[1, "arena-a"], [2, "arena-b"], [3, "arena-c"]] as const) {
    await dialog.getByRole("textbox", { name: `Contender ${i} model` }).fill(model);
  }
  await dialog.getByRole("textbox", { name: /Verify command/ }).fill("grep -q two ARENA.md");
  await shot(page, "36-arena-dialog");
  await expectAccessible(page, "the arena dialog");
  await dialog.getByRole("button", { name: "Start arena" }).click();

  // Each contender streams in a pane of its own.
  for (const [i, word] of [[1, "one"], [2, "two"], [3, "three"]] as const) {
    await expect(page.getByRole("tab", { name: `Contender ${i} · boocode:arena-${"abc"[i - 1]}` })).toBeVisible();
    await expect(page.getByText(`arena-${"abc"[i - 1]} wrote ${word}.`)).toBeVisible({ timeout: 30_000 });
  }
  // The summary scores them by the verify command, not by their claims.
  const summary = page.getByRole("table", { name: "Contenders" });
  await expect(summary.getByRole("row", { name: "Contender 2 boocode:arena-b" })).toContainText("pass", { timeout: 30_000 });
  await expect(summary.getByRole("row", { name: "Contender 1 boocode:arena-a" })).toContainText("fail (1)");
  await expect(summary.getByRole("row", { name: "Contender 3 boocode:arena-c" })).toContainText("fail (1)");
  await expect(page.getByRole("region", { name: "Arena summary" })).toContainText("Changed by all: ARENA.md");
  expect(existsSync(join(repo(), "ARENA.md")), "the main tree is untouched").toBe(false);
  await shot(page, "37-arena-summary");
  await expectAccessible(page, "the arena summary");

  // Picking the passing one puts its change in review on the main tree.
  await summary.getByRole("button", { name: "Pick contender 2" }).click();
  // The review opens beside the summary's pane tab.
  await expect(page.getByRole("tab", { name: "Review pick 2" })).toHaveAttribute("aria-selected", "true");
  const review = page.getByRole("tabpanel", { name: "Review pick 2" });
  await expect(review).toContainText("ARENA.md");
  await shot(page, "38-arena-picked-review");
  expect(existsSync(join(repo(), "ARENA.md"))).toBe(false);
  await page.getByRole("tab", { name: "Arena summary" }).click();
  await expect(summary.getByRole("row", { name: "Contender 2 boocode:arena-b" })).toContainText("picked");
  await expect(summary.getByRole("button", { name: "Pick contender 1" })).toBeDisabled();
  // Run again: a new arena of the same three, scored the same way.
  await page.getByRole("button", { name: "Run again" }).click();
  await expect(page.getByRole("tab", { name: "Arena rerun summary" })).toHaveAttribute("aria-selected", "true");
  const rerun = page.getByRole("tabpanel", { name: "Arena rerun summary" }).getByRole("table", { name: "Contenders" });
  await expect(rerun.getByRole("row", { name: "Contender 2 boocode:arena-b" })).toContainText("pass", { timeout: 30_000 });
  await expect(rerun.getByRole("row", { name: "Contender 1 boocode:arena-a" })).toContainText("fail (1)");
  await page.getByRole("tab", { name: "Arena summary", exact: true }).click();
  // The summary on a phone: the table scrolls sideways within its region.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const p = await phone.newPage();
  await p.goto(page.url());
  await p.getByRole("tab", { name: "Arena summary", exact: true }).click();
  await expect(p.getByRole("table", { name: "Contenders" })).toBeVisible();
  await shot(p, "38b-phone-arena-summary");
  await expectAccessible(p, "the arena summary on a phone");
  await phone.close();
});

test("an orchestrator delegates to a child: the card, the nested child chat, and a merge into the parent's review", async ({ browser }) => {
  test.setTimeout(120_000);
  // The built-in orchestrator agent; a scripted orchestrator and child.
  await answerMatching('"tool_call_id":"od1"', { text: ["The child wrote NOTES.md; merge it to review."] });
  await answerMatching('"model":"orch-e2e"', {
    text: ["Delegating. "],
    tool_calls: [{ id: "od1", name: "delegate", args: [JSON.stringify({ prompt: "Write NOTES.md", model: "child-e2e", writes: true, verify: "test -f NOTES.md" })] }],
  });
  await answerMatching('"tool_call_id":"cd1"', { text: ["NOTES.md written."], delay_ms: 200 });
  await answerMatching('"model":"child-e2e"', { text: ["Writing. "], delay_ms: 200, tool_calls: [{ id: "cd1", name: "create_file", args: [JSON.stringify({ path: "NOTES.md", content: "notes\n" })] }] });
  // One pane, a new chat running the orchestrator in review mode.
  while ((await page.getByRole("button", { name: /^Close pane / }).count()) > 0) await page.getByRole("button", { name: /^Close pane / }).last().click();
  await page.getByTestId("new-chat").click();
  const chatId = await page.evaluate(async () => {
    const projects = await (await fetch("/api/projects")).json();
    const sessions = await (await fetch(`/api/projects/${projects[0].id}/sessions`)).json();
    const { chats } = await (await fetch(`/api/sessions/${sessions[0].id}`)).json();
    const newest = chats[chats.length - 1];
    await fetch(`/api/chats/${newest.id}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ agent: "orchestrator", model: "orch-e2e", mode: "review" }) });
    return newest.id as string;
  });
  expect(chatId).toBeTruthy();
  const pane = page.getByRole("tabpanel").filter({ has: page.getByTestId("chat-pane") }).first();
  await pane.getByTestId("composer").fill("Write the notes");
  await pane.getByTestId("send").click();

  // The delegation card: who, the outcome, the verify result, the files.
  const card = page.getByRole("group", { name: "Delegated to boocode:child-e2e: complete" });
  await expect(card).toBeVisible({ timeout: 30_000 });
  await expect(card).toContainText("verify passed");
  await expect(card.getByRole("list", { name: "Files the child changed" })).toContainText("NOTES.md +1 −0");
  await expect(page.getByText("The child wrote NOTES.md; merge it to review.")).toBeVisible();
  // The child is nested under its parent.
  await expect(page.getByRole("list", { name: "Delegated chats" }).first()).toContainText("↳ Write NOTES.md");
  expect(existsSync(join(repo(), "NOTES.md")), "the main tree is untouched").toBe(false);
  await shot(page, "39-delegation-card");
  await expectAccessible(page, "a delegation");

  // The child chat opens beside it and names its parent.
  await card.getByRole("button", { name: "Open child chat" }).click();
  await expect(page.getByRole("tab", { name: "↳ Write NOTES.md" })).toHaveAttribute("aria-selected", "true");
  const child = page.getByRole("tabpanel", { name: "↳ Write NOTES.md" });
  await expect(child.getByRole("navigation", { name: "Delegation" })).toContainText("Delegated by");
  await expect(child.getByText("NOTES.md written.")).toBeVisible();
  await shot(page, "40-delegation-child");

  // Merging puts the child's change in the parent's review queue; the main tree waits for it.
  await card.getByRole("button", { name: "Merge into this chat" }).click();
  await expect(card.getByRole("status")).toContainText("1 change now waits for review in the parent chat");
  expect(existsSync(join(repo(), "NOTES.md"))).toBe(false);
  const changes = await page.evaluate(async (id) => (await (await fetch(`/api/chats/${id}/changes?state=pending`)).json()) as { path: string }[], chatId);
  expect(changes.map((c) => c.path)).toEqual(["NOTES.md"]);
  await shot(page, "41-delegation-merged");

  // On a phone: the same session, the orchestrator's chat.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const p = await phone.newPage();
  await p.goto(page.url());
  await p.getByRole("tab", { name: /^Chat \d+$/ }).last().click();
  await expect(p.getByRole("group", { name: "Delegated to boocode:child-e2e: complete" })).toBeVisible();
  await shot(p, "42-phone-delegation");
  await expectAccessible(p, "a delegation on a phone");
  await phone.close();
});
