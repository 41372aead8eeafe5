// What the specs share: where the server and the scripted model are, and where screenshots go.
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";

const here = dirname(fileURLToPath(import.meta.url));
const shots = join(here, "screenshots");
mkdirSync(shots, { recursive: true });

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the specs through playwright.config.ts`);
  return value;
}

export const base = () => env("E2E_BASE");
export const repo = () => env("E2E_REPO");

/** Queues the scripted model's next reply (see boocode-testkit's `reply_from_json`). */
export async function push(reply: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${env("E2E_MODEL")}/__push`, { method: "POST", body: JSON.stringify(reply) });
  if (!res.ok) throw new Error(`the scripted model refused a reply: ${res.status}`);
}

/** Answers every completion request whose body contains `marker` with `reply` (outside the
 * queue of pushed replies): for turns that run side by side. */
export async function answerMatching(marker: string, reply: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${env("E2E_MODEL")}/__answer`, { method: "POST", body: JSON.stringify({ marker, reply }) });
  if (!res.ok) throw new Error(`the scripted model refused a standing reply: ${res.status}`);
}

/** Saves a screenshot of the page under e2e/screenshots/. */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`) });
}

/** The bodies of the chat completion requests the scripted model received, oldest first. */
export async function modelRequests(): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${env("E2E_MODEL")}/__requests`);
  const all = (await res.json()) as { path: string; body: Record<string, unknown> }[];
  return all.filter((r) => r.path.endsWith("/chat/completions")).map((r) => r.body);
}

/** Queues the scripted Anthropic server's next reply (see boocode-testkit's `anthropic_reply_from_json`). */
export async function pushAnthropic(reply: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${env("E2E_ANTHROPIC")}/__push`, { method: "POST", body: JSON.stringify(reply) });
  if (!res.ok) throw new Error(`the scripted Anthropic server refused a reply: ${res.status} ${await res.text()}`);
}

/** Runs axe-core on the page as it is: no serious or critical accessibility violation. */
export async function expectAccessible(page: Page, view: string): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const described = bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join("; ")}`);
  expect(described, `accessibility of ${view}`).toEqual([]);
}
