import { useContext } from "react";
import { DelegationCard } from "../delegation/DelegationCard";
import { PermissionActions } from "../inbox/PermissionActions";
import { OpenTerminal } from "../terminal/opener";
import { editPreview, toolSummary } from "./editPreview";
import { SafeMarkdown } from "./Markdown";
import type { Message, Part } from "../../generated/types";

export interface Artifact {
  kind: "html" | "markdown";
  title: string;
  source: string;
}

/** What a terminal the turn ran showed (a TUI agent's screen, as text), with a way to open it
 * while its program still runs. */
function TerminalExcerpt({ part }: { part: Extract<Part, { type: "terminal" }> }) {
  const terminals = useContext(OpenTerminal);
  const live = terminals.live.find((t) => t.id === part.terminal_id);
  const state = part.exit_code != null ? `exited with code ${part.exit_code}` : live ? "running" : "ended";
  const name = live?.title ?? "Terminal";
  return (
    <details open className="terminal-excerpt" data-testid="terminal-excerpt">
      <summary>
        {name} · {state}
        {part.truncated ? " · last part" : ""}
      </summary>
      <pre aria-label={`${name} screen`}>{part.output}</pre>
      {live && (
        <button type="button" className="btn mt-1 text-xs" onClick={() => terminals.open(live.id)}>
          Open {live.title} terminal
        </button>
      )}
    </details>
  );
}

function ToolCard({ call, result }: { call: Extract<Part, { type: "tool_call" }>; result?: Extract<Part, { type: "tool_result" }> }) {
  const state = !result ? "running" : result.is_error ? "error" : "ok";
  const edit = editPreview(call.name, call.arguments);
  return (
    <details className={`tool-card ${state}`} data-testid="tool-card">
      <summary>
        <span className="tool-name">{call.name}</span>
        <span className="tool-args">{edit ? edit.path : toolSummary(call.arguments)}</span>
        <span className="tool-meta">{result ? `${result.is_error ? "failed" : "done"} · ${result.duration_ms ?? 0} ms` : "running…"}</span>
      </summary>
      {edit ? (
        <pre className="tool-io" aria-label={`Changes to ${edit.path}`}>
          {edit.lines.map((l, i) => (
            <span key={i} className={`block ${l.kind === "add" ? "diff-add" : "diff-del"}`}>
              {l.kind === "add" ? "+ " : "- "}
              {l.text}
            </span>
          ))}
          {edit.more > 0 && <span className="block text-muted">… {edit.more} more lines</span>}
        </pre>
      ) : (
        <pre className="tool-io">{call.arguments}</pre>
      )}
      {result && (
        <pre className={`tool-io ${result.is_error ? "error" : ""}`} aria-label={result.is_error ? `Error from ${call.name}` : `Result of ${call.name}`}>
          {result.content}
        </pre>
      )}
    </details>
  );
}

const DECISIONS: Record<string, string> = {
  allow_once: "allowed once",
  allow_session: "allowed for the session",
  deny: "denied",
  deny_and_stop: "denied, and the turn stopped",
};

/**
 * A permission the agent asked for, and what the user answered (stored with the message). While
 * its turn runs, an unanswered one can be answered here.
 */
function PermissionCard({ part, live }: { part: Extract<Part, { type: "permission" }>; live: boolean }) {
  const waiting = !part.decision && live;
  const answer = part.decision ? DECISIONS[part.decision] ?? part.decision : waiting ? "waiting for you" : "not answered";
  return (
    <div className={`permission-card ${part.decision ?? "open"} flex-col`} role="note" aria-label={`Permission for ${part.tool}: ${answer}`} data-testid="permission-card">
      <div className="flex w-full items-baseline gap-2">
        <span className="tool-name">{part.tool}</span>
        <span className="tool-args">{part.summary}</span>
        <span className="tool-meta">{answer}</span>
      </div>
      {waiting && <PermissionActions requestId={part.request_id} what={`${part.tool}: ${part.summary}`} />}
    </div>
  );
}

/** Code blocks in html or markdown can be opened as artifacts. */
function artifactsOf(text: string): Artifact[] {
  const found: Artifact[] = [];
  const re = /```(html|markdown|md)\n([\s\S]*?)```/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) found.push({ kind: m[1] === "html" ? "html" : "markdown", title: `${m[1]} artifact`, source: m[2] });
  return found;
}

/** A finished turn's tokens and cost (the agent's reported cost, when it gave one). */
export function usageLine(usage: Message["usage"]): string | null {
  if (!usage || (usage.prompt_tokens === 0 && usage.completion_tokens === 0 && usage.cost_usd == null)) return null;
  const tokens = `${usage.prompt_tokens.toLocaleString("en")} in · ${usage.completion_tokens.toLocaleString("en")} out`;
  return usage.cost_usd != null ? `${tokens} · $${usage.cost_usd.toFixed(4)}` : tokens;
}

export function MessageView({ message, onArtifact }: { message: Message; onArtifact: (a: Artifact) => void }) {
  const results = new Map<string, Extract<Part, { type: "tool_result" }>>();
  for (const p of message.parts) if (p.type === "tool_result") results.set(p.call_id, p);
  const text = message.parts.filter((p) => p.type === "text").map((p) => (p as { text: string }).text).join("");
  const copy = () => void navigator.clipboard?.writeText(text);
  const usage = message.status !== "streaming" ? usageLine(message.usage) : null;
  if (message.kind === "sentinel") return <div className="notice warning" data-testid="sentinel">{text}</div>;
  return (
    <div className={`message ${message.role} ${message.status} ${message.kind}`} data-testid={`message-${message.role}`} data-status={message.status}>
      {message.kind === "summary" && <div className="summary-label">Summary of earlier messages</div>}
      {message.parts.map((part, i) => {
        switch (part.type) {
          case "reasoning":
            return (
              <details key={i} className="reasoning" open={message.status === "streaming" && i === message.parts.length - 1}>
                <summary>Reasoning</summary>
                <div className="reasoning-text">{part.text}</div>
              </details>
            );
          case "text":
            return (
              <div key={i} className="markdown" data-testid="message-text">
                <SafeMarkdown text={part.text} />
              </div>
            );
          case "tool_call":
            if (part.name === "delegate") return <DelegationCard key={i} call={part} result={results.get(part.id)} />;
            return <ToolCard key={i} call={part} result={results.get(part.id)} />;
          case "permission":
            return <PermissionCard key={i} part={part} live={message.status === "streaming"} />;
          case "notice":
            return (
              <div key={i} className={`notice ${part.level}`} role="status" data-testid="notice">
                {part.message}
              </div>
            );
          case "plan":
            return (
              <ol key={i} className="plan" aria-label="Plan" data-testid="plan">
                {part.entries.map((entry, j) => (
                  <li key={j} className={entry.status} aria-label={`${entry.content}: ${entry.status.replace("_", " ")}`}>
                    {entry.content}
                  </li>
                ))}
              </ol>
            );
          case "terminal":
            return <TerminalExcerpt key={i} part={part} />;
          default:
            return null;
        }
      })}
      {message.status === "streaming" && <span className="cursor" aria-label="streaming">▍</span>}
      {message.status === "failed" && !message.parts.some((p) => p.type === "notice" && p.level === "error") && (
        <div className="notice error">This reply failed.</div>
      )}
      {message.status === "cancelled" && <div className="notice">Stopped.</div>}
      {message.role === "assistant" && (text || usage) && (
        <div className="message-actions items-center">
          {text && <button onClick={copy} title="Copy">Copy</button>}
          {artifactsOf(text).map((a, i) => (
            <button key={i} onClick={() => onArtifact(a)} data-testid="open-artifact">Open {a.title}</button>
          ))}
          {usage && (
            <span className="ml-auto text-xs text-muted" aria-label="Usage of this turn">
              {usage}
            </span>
          )}
        </div>
      )}
    </div>
  );
}
