// End-to-end tests of the web UI: the real boocode-server (serving web/dist) against the scripted
// model from boocode-testkit, in Debian's Chromium (no browser download).
//
//   cargo build -p boocode-server -p boocode-testkit --bins
//   (cd web && npm run build && npm run e2e)
//
// Screenshots of every view go to web/e2e/screenshots/ (not committed).
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: "e2e",
  globalSetup: "./e2e/global-setup.ts",
  // The flows share one server and build on each other's state: one worker, in order.
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [["list"]],
  outputDir: "e2e/results",
  use: {
    actionTimeout: 15_000,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
});
