// A `delegate` call in an orchestrator's message: who the subtask went to, then the child's
// outcome, files changed and verify result, with the child chat to open and (for a child that
// wrote) a button merging its changes into this chat's review queue.
import { useContext } from "react";
import type { DelegateResult, Part } from "../../generated/types";
import { OpenChat } from "./opener";
import { mergedText, useMergeChild } from "./merge";

interface Args {
  prompt?: string;
  provider?: string;
  model?: string;
  writes?: boolean;
}

function parse<T>(text: string): T | null {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" ? (value as T) : null;
  } catch {
    return null;
  }
}

export function verdict(exit: number | null): string {
  return exit === 0 ? "verify passed" : exit === null ? "verify timed out" : `verify failed (exit ${exit})`;
}

function Merge({ childId }: { childId: string }) {
  const merge = useMergeChild(childId);
  if (merge.data) return <p className="text-xs text-ok" role="status">Merged: {mergedText(merge.data)}</p>;
  return (
    <>
      <button type="button" className="btn text-xs" disabled={merge.isPending} onClick={() => merge.mutate()}>
        Merge into this chat
      </button>
      {merge.error && <p className="text-xs text-err" role="alert">{merge.error.message}</p>}
    </>
  );
}

export function DelegationCard({ call, result }: { call: Extract<Part, { type: "tool_call" }>; result?: Extract<Part, { type: "tool_result" }> }) {
  const chats = useContext(OpenChat);
  const args = parse<Args>(call.arguments) ?? {};
  const done = result && !result.is_error ? parse<DelegateResult>(result.content) : null;
  const who = `${args.provider ?? "boocode"}${args.model ? `:${args.model}` : ""}`;
  const state = !result ? "running…" : result.is_error ? "not delegated" : done?.outcome ?? "done";
  const prompt = (args.prompt ?? "").split("\n")[0];
  return (
    <div className={`tool-card delegation ${!result ? "running" : result.is_error ? "error" : "ok"}`} role="group" aria-label={`Delegated to ${who}: ${state}`} data-testid="delegation">
      <div className="flex flex-wrap items-baseline gap-2">
        <span className="tool-name">delegate</span>
        <span className="tool-args">
          {who}
          {args.writes ? " · writes" : " · reads"} · {prompt}
        </span>
        <span className="tool-meta">{state}</span>
      </div>
      {result?.is_error && <p className="text-xs text-err">{result.content}</p>}
      {done && (
        <div className="mt-1 flex flex-col gap-1 text-xs">
          {done.verify && <span className={done.verify.exit_code === 0 ? "text-ok" : "text-err"}>{verdict(done.verify.exit_code)}: <code>{done.verify.command}</code></span>}
          {done.files_changed.length > 0 ? (
            <ul aria-label="Files the child changed">
              {done.files_changed.map((f) => (
                <li key={f.path}>
                  <code>{f.path}</code> +{f.added} −{f.removed}
                </li>
              ))}
            </ul>
          ) : (
            <span className="text-muted">No files changed</span>
          )}
          <div className="flex flex-wrap items-center gap-2">
            <button type="button" className="btn text-xs" onClick={() => chats.open(done.chat_id)}>
              Open child chat
            </button>
            {done.files_changed.length > 0 && chats.chats.find((c) => c.id === done.chat_id)?.worktree != null && <Merge childId={done.chat_id} />}
          </div>
        </div>
      )}
    </div>
  );
}
