// Starts the scripted model and the real server on ephemeral ports over a temporary project
// tree, and hands their addresses to the tests through the environment.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const target = process.env.CARGO_TARGET_DIR ?? join(root, "target");

/** Starts `bin` and waits for its `listening on URL` line; `seen` gets every other line. */
function start(children: ChildProcess[], bin: string, args: string[], env: Record<string, string>, seen?: (line: string) => void): Promise<string> {
  const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`${bin} did not start`)), 30_000);
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on("line", (line) => {
        if (process.env.E2E_LOG) console.error(`[${bin.split("/").pop()}] ${line}`);
        const m = line.match(/^listening on (http:\/\/\S+)/);
        if (m) {
          clearTimeout(timer);
          resolveUrl(m[1]);
        } else {
          seen?.(line);
        }
      });
    }
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`${bin} exited with ${code}`)));
  });
}

export default async function globalSetup() {
  const children: ChildProcess[] = [];
  const work = mkdtempSync(join(tmpdir(), "boocode-e2e-"));
  const repo = join(work, "repos", "demo");
  mkdirSync(join(repo, "src"), { recursive: true });
  writeFileSync(join(repo, "src/main.rs"), "fn main() {\n    serve();\n}\n");
  writeFileSync(join(repo, "src/server.rs"), "pub fn serve() {\n    // listens on 8080\n}\n");
  // An agent definition limited to two tools, for the composer's agent picker.
  mkdirSync(join(repo, ".agents/skills/release-notes"), { recursive: true });
  writeFileSync(join(repo, ".agents/skills/release-notes/SKILL.md"), "---\nname: release-notes\ndescription: Write release notes from the changelog.\n---\nList each change under Added, Fixed or Removed.\n");
  mkdirSync(join(repo, ".boocode/agents"), { recursive: true });
  writeFileSync(join(repo, ".boocode/agents/reviewer.md"), "---\nname: reviewer\ndescription: Reads, never writes\ntools: [grep, view_file]\n---\nYou review code.\n");

  let anthropicUrl = "";
  const modelUrl = await start(children, process.env.SCRIPTED_MODEL_BIN ?? join(target, "debug/scripted-model"), [], {}, (line) => {
    const m = line.match(/^anthropic at (http:\/\/\S+)/);
    if (m) anthropicUrl = m[1];
  });
  if (!anthropicUrl) throw new Error("scripted-model did not start its Anthropic server");

  // The real agents (tests/peers, pinned): claude-agent-acp over the real Claude Code, against
  // the scripted Anthropic server. Their flows always run.
  const peers = join(root, "tests/peers/node_modules/.bin");
  const adapter = join(peers, "claude-agent-acp");
  const claude = join(peers, "claude");
  if (!existsSync(adapter) || !existsSync(claude)) {
    throw new Error(`the real agents are not installed in ${peers}: run \`npm install --prefix tests/peers\` (scripts/test does)`);
  }
  const settings = join(work, "server.toml");
  // A small full-screen program standing in for a TUI agent (opencode's, Claude Code's).
  const tui = join(root, "tests/peers/scripted-tui.sh");
  writeFileSync(settings, `[providers.claude-acp]\ncommand = ${JSON.stringify(adapter)}\n\n[providers.tui]\ncommand = ${JSON.stringify(tui)}\nidle_ms = 1500\n\n[delegation]\nverify_allowed = ["test -f NOTES.md"]\n`);
  const claudeConfig = join(work, "claude-config");
  mkdirSync(claudeConfig, { recursive: true });

  const base = await start(
    children,
    process.env.BOOCODE_SERVER_BIN ?? join(target, "debug/boocode-server"),
    ["--bind", "127.0.0.1:0", "--database", `sqlite://${join(work, "e2e.db")}`, "--model-url", modelUrl, "--web-dir", join(root, "web/dist")],
    {
      HOME: work,
      XDG_CONFIG_HOME: join(work, "config"),
      XDG_DATA_HOME: join(work, "data"),
      BOOCODE_ALLOWED_ROOTS: join(work, "repos"),
      BOOCODE_PROJECTS_DIR: join(work, "repos"),
      BOOCODE_LOG: "warn",
      BOOCODE_CONFIG: settings,
      CLAUDE_CODE_EXECUTABLE: claude,
      CLAUDE_CONFIG_DIR: claudeConfig,
      ANTHROPIC_BASE_URL: anthropicUrl,
      ANTHROPIC_API_KEY: "sk-test",
      IS_SANDBOX: "1",
      DISABLE_TELEMETRY: "1",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    },
  );
  process.env.E2E_BASE = base;
  process.env.E2E_MODEL = modelUrl;
  process.env.E2E_REPO = repo;
  process.env.E2E_ANTHROPIC = anthropicUrl;
  return async () => {
    for (const child of children) child.kill("SIGTERM");
    rmSync(work, { recursive: true, force: true });
  };
}
