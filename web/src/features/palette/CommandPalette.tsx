// The command palette (Ctrl+K / ⌘K): new chat, the file browser, switch session, answer the
// next waiting prompt, switch theme.
import { useQueries } from "@tanstack/react-query";
import { Command } from "cmdk";
import { useEffect, useState } from "react";
import { useNavigate } from "react-router";
import { runWorkspaceCommand } from "../../lib/commands";
import { sessionsQuery, useProjects } from "../../lib/queries";
import { useAnswer, useInbox } from "../inbox/useInbox";

export function CommandPalette({ inSession, inboxWaiting }: { inSession: boolean; inboxWaiting: number }) {
  const [open, setOpen] = useState(false);
  const navigate = useNavigate();
  const projects = useProjects();
  const sessions = useQueries({ queries: (projects.data ?? []).map((p) => sessionsQuery(p.id)) });
  const inbox = useInbox(inboxWaiting);
  const answer = useAnswer();
  const next = inbox.data?.[0];

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key.toLowerCase() === "k" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        setOpen((o) => !o);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  // Alt+Y / Alt+N answer the oldest waiting prompt from anywhere.
  useEffect(() => {
    if (!next) return;
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      const key = e.code === "KeyY" ? "allow_once" : e.code === "KeyN" ? "deny" : null;
      if (!key || answer.isPending) return;
      e.preventDefault();
      answer.mutate({ requestId: next.request_id, decision: key });
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [next, answer]);

  const run = (action: () => void) => {
    setOpen(false);
    action();
  };
  const projectName = (id: string) => projects.data?.find((p) => p.id === id)?.name ?? "";

  return (
    <>
      <button className="icon-btn" aria-label="Commands" aria-keyshortcuts="Control+K" title="Commands (Ctrl+K)" onClick={() => setOpen(true)}>
        ⌘
      </button>
      <Command.Dialog
        open={open}
        onOpenChange={setOpen}
        label="Commands"
        overlayClassName="fixed inset-0 z-40 bg-black/50"
        contentClassName="fixed left-1/2 top-[15vh] z-50 w-[min(92vw,560px)] -translate-x-1/2 rounded-lg border border-line bg-panel shadow-xl"
      >
        <Command.Input className="w-full border-b border-line bg-transparent px-4 py-3 outline-none" placeholder="Type a command or a session…" />
        <Command.List className="max-h-[50vh] overflow-auto p-2">
          <Command.Empty className="px-3 py-2 text-sm text-muted">Nothing matches.</Command.Empty>
          <Command.Group heading="Actions" className="text-xs text-muted [&_[cmdk-item]]:text-sm [&_[cmdk-item]]:text-fg">
            {inSession && (
              <Command.Item className="menu-item" onSelect={() => run(() => runWorkspaceCommand("new-chat"))}>
                New chat
              </Command.Item>
            )}
            {inSession && (
              <Command.Item className="menu-item" onSelect={() => run(() => runWorkspaceCommand("open-files"))}>
                Open the file browser
              </Command.Item>
            )}
            {inSession && (
              <Command.Item className="menu-item" onSelect={() => run(() => runWorkspaceCommand("new-terminal"))}>
                New terminal
              </Command.Item>
            )}
            {inSession && (
              <Command.Item className="menu-item" onSelect={() => run(() => runWorkspaceCommand("tool-stats"))}>
                Tool statistics
              </Command.Item>
            )}
            <Command.Item className="menu-item" onSelect={() => run(() => runWorkspaceCommand("settings"))}>
              Model endpoint and providers
            </Command.Item>
            {next && (
              <Command.Item className="menu-item" onSelect={() => run(() => answer.mutate({ requestId: next.request_id, decision: "allow_once" }))}>
                Allow the next prompt: {next.provider} wants {next.tool} <span className="text-xs text-muted">Alt+Y</span>
              </Command.Item>
            )}
            {next && (
              <Command.Item className="menu-item" onSelect={() => run(() => answer.mutate({ requestId: next.request_id, decision: "deny" }))}>
                Deny the next prompt: {next.provider} wants {next.tool} <span className="text-xs text-muted">Alt+N</span>
              </Command.Item>
            )}
          </Command.Group>
          <Command.Group heading="Sessions" className="mt-2 text-xs text-muted [&_[cmdk-item]]:text-sm [&_[cmdk-item]]:text-fg">
            {sessions.flatMap((q) => q.data ?? []).map((s) => (
              <Command.Item key={s.id} value={`${projectName(s.project_id)} ${s.title || "New session"} ${s.id}`} className="menu-item" onSelect={() => run(() => navigate(`/s/${s.id}`))}>
                {s.title || "New session"} <span className="text-xs text-muted">· {projectName(s.project_id)}</span>
              </Command.Item>
            ))}
          </Command.Group>
        </Command.List>
      </Command.Dialog>
    </>
  );
}
