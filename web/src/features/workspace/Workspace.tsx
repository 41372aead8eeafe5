// A session's workspace: panes side by side (stacked on a phone), each with tabs of chats, the
// file browser and artifacts. The layout is saved per session and follows the user to their other
// devices; the active tabs are in the address.
import { useMutation, useQuery } from "@tanstack/react-query";
import { Tabs } from "radix-ui";
import { lazy, Suspense, useEffect, useRef, useState } from "react";
import { useSearchParams } from "react-router";
import type { Arena, Project } from "../../generated/types";
import { client, clientId, unwrap, unwrapAs } from "../../lib/api";
import type { TerminalInfo } from "../../generated/types";
import { onWorkspaceCommand } from "../../lib/commands";
import { keys, useNewChat, useNewTerminal, useSession } from "../../lib/queries";
import { ChatPane } from "../chat/ChatPane";
import { emptyChat } from "../chat/reducer";
import { useChatStream } from "../chat/useChatStream";
import { FileBrowser } from "../files/FileBrowser";
import { ToolStatsView } from "../stats/ToolStatsView";
import { ArtifactView } from "./ArtifactView";
import { SessionUsage } from "../stats/SessionUsage";
import { swipeHandlers, swipeTarget } from "./swipe";
import { TerminalTargets } from "../terminal/SendToTerminal";
import { OpenTerminal } from "../terminal/opener";
import { OpenChat } from "../delegation/opener";
import { ArenaDialog } from "../arena/ArenaDialog";
import { ArenaSummary } from "../arena/ArenaSummary";
import { activeTabs, defaultLayout, openTab, parseLayout, sameTabs, withActiveTabs, type Pane, type Tab } from "./layout";

// The diff viewer loads when a review is first opened.
// xterm.js loads when a terminal is first opened.
const TerminalPane = lazy(() => import("../terminal/TerminalPane").then((m) => ({ default: m.TerminalPane })));
const ReviewPanel = lazy(() => import("../review/ReviewPanel").then((m) => ({ default: m.ReviewPanel })));

export function Workspace({ sessionId, project }: { sessionId: string; project: Project }) {
  const session = useSession(sessionId);
  const chats = session.data?.chats ?? [];
  const { state: live, loadOlder } = useChatStream(sessionId, chats);
  const saved = useQuery({
    queryKey: keys.workspace(sessionId),
    queryFn: () => unwrap(client.GET("/api/sessions/{id}/workspace", { params: { path: { id: sessionId } } })),
    // Loaded once; later layouts arrive from the user's other devices (workspace_updated).
    staleTime: Infinity,
  });
  const save = useMutation({
    mutationFn: (panes: Pane[]) => unwrap(client.PUT("/api/sessions/{id}/workspace", { params: { path: { id: sessionId } }, body: { panes, origin: clientId } })),
  });
  const newChat = useNewChat(sessionId);
  const newTerminal = useNewTerminal(sessionId);
  const terminals = useQuery({
    queryKey: ["sessions", sessionId, "terminals"],
    queryFn: () => unwrapAs<TerminalInfo[]>(client.GET("/api/sessions/{id}/terminals", { params: { path: { id: sessionId } } })),
  });
  const running = (terminals.data ?? []).filter((t) => t.exit === null);
  // Code is sent to the user's own terminals, never typed into an agent's.
  const liveTerminals = running.filter((t) => t.chat_id == null).reverse();
  const [params, setParams] = useSearchParams();
  const [panes, setPanes] = useState<Pane[] | null>(null);
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const [arenaOpen, setArenaOpen] = useState(false);
  // The chat whose composer opened the arena (its draft is the prompt); null: the toolbar did.
  const [arenaFrom, setArenaFrom] = useState<string | null>(null);
  // A layout that came from the server (at load, or saved on another device) is not saved back.
  const fromServer = useRef(false);
  const loaded = session.isSuccess;

  useEffect(() => {
    if (!saved.data || !loaded) return;
    setPanes((current) => {
      const layout = parseLayout(saved.data.panes);
      // The same tabs again (a refetch): the user's active tabs stay as they are.
      if (current && (!layout || sameTabs(layout, current))) return current;
      fromServer.current = true;
      return withActiveTabs(layout ?? defaultLayout(session.data?.chats ?? []), current ? null : params.get("tabs"));
    });
    // Applied when the saved layout changes, not when the session's chat list is refetched.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [saved.data, loaded]);

  useEffect(() => {
    if (!panes) return;
    const tabs = activeTabs(panes);
    if (params.get("tabs") !== tabs) setParams({ tabs }, { replace: true });
    if (fromServer.current) {
      fromServer.current = false;
      return;
    }
    const t = setTimeout(() => save.mutate(panes), 400);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [panes]);

  const open = (tab: Tab, index: number) => setPanes((ps) => openTab(ps ?? [], tab, index));
  const last = (panes?.length ?? 1) - 1;
  const addChat = () =>
    newChat.mutate(undefined, { onSuccess: (chat) => open({ id: chat.id, kind: "chat", chatId: chat.id, title: chat.title || `Chat ${chats.length + 1}` }, 0) });

  const addTerminal = (index = last) =>
    newTerminal.mutate(undefined, {
      onSuccess: (t) => {
        void terminals.refetch();
        open({ id: t.id, kind: "terminal", terminalId: t.id, title: `Terminal ${t.title}` }, index);
      },
    });

  // A chat's agent terminal (a TUI) opens beside its chat: in the pane after the chat's, split off
  // when the chat's pane is the last. Each opens by itself once per page; after that the saved
  // layout keeps it (or the user closed it).
  const tabOf = (terminal: TerminalInfo): Tab => ({ id: terminal.id, kind: "terminal", terminalId: terminal.id, title: `Agent ${terminal.title}` });
  const openBeside = (terminal: TerminalInfo) =>
    setPanes((ps) => {
      const current = ps ?? [];
      const at = current.findIndex((p) => p.tabs.some((x) => x.id === terminal.id));
      if (at !== -1) return current.map((p, i) => (i === at ? { ...p, active: terminal.id } : p));
      const chatPane = current.findIndex((p) => p.tabs.some((x) => x.kind === "chat" && x.chatId === terminal.chat_id));
      if (chatPane !== -1 && chatPane === current.length - 1) return [...current, { tabs: [tabOf(terminal)], active: terminal.id }];
      return openTab(current, tabOf(terminal), chatPane === -1 ? current.length - 1 : chatPane + 1);
    });
  // A chat of a delegation tree opens beside the chat it is related to (its parent or child):
  // in the pane after it, split off when that pane is the last.
  const openChat = (chatId: string) =>
    setPanes((ps) => {
      const current = ps ?? [];
      const at = current.findIndex((p) => p.tabs.some((x) => x.id === chatId));
      if (at !== -1) return current.map((p, i) => (i === at ? { ...p, active: chatId } : p));
      const chat = chats.find((c) => c.id === chatId);
      const tab: Tab = { id: chatId, kind: "chat", chatId, title: chat?.title || "Chat" };
      const related = current.findIndex((p) =>
        p.tabs.some((x) => x.kind === "chat" && (x.chatId === chat?.parent || chats.find((c) => c.id === x.chatId)?.parent === chatId)),
      );
      if (related !== -1 && related === current.length - 1) return [...current, { tabs: [tab], active: chatId }];
      return openTab(current, tab, related === -1 ? Math.max(current.length - 1, 0) : related + 1);
    });
  // A started arena: its summary where the user is, each contender in a pane of its own.
  const showArena = (arena: Arena) => {
    void session.refetch();
    setPanes((ps) => {
      const summary: Tab = { id: arena.id, kind: "arena", arenaId: arena.id, title: arena.rerun_of ? "Arena rerun summary" : "Arena summary" };
      const first = openTab(ps ?? [], summary, 0);
      const contenders: Pane[] = arena.contenders.map((c) => ({
        tabs: [{ id: c.chat_id, kind: "chat", chatId: c.chat_id, title: `Contender ${c.index} · ${c.model ? `${c.provider}:${c.model}` : c.provider}` }],
        active: c.chat_id,
      }));
      return [first[0], ...contenders];
    });
  };
  const autoOpened = useRef(new Set<string>());
  useEffect(() => {
    if (!panes) return;
    for (const t of running) {
      if (t.chat_id == null || autoOpened.current.has(t.id)) continue;
      autoOpened.current.add(t.id);
      if (!panes.some((p) => p.tabs.some((x) => x.id === t.id))) openBeside(t);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [terminals.data, panes !== null]);
  // A turn that started an agent terminal names it in its message: fetch the list again.
  const asked = useRef(new Set<string>());
  const mentioned = Object.values(live).flatMap((c) => c.messages.slice(-2).flatMap((m) => m.parts.flatMap((p) => (p.type === "terminal" ? [p.terminal_id] : []))));
  const unknown = mentioned.filter((id) => !asked.current.has(id) && !(terminals.data ?? []).some((t) => t.id === id));
  useEffect(() => {
    if (unknown.length === 0 || !terminals.isSuccess) return;
    for (const id of unknown) asked.current.add(id);
    void terminals.refetch();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [unknown.join(","), terminals.isSuccess]);
  // `?focus=<tab>` (from the inbox) brings that tab forward.
  const focus = params.get("focus");
  useEffect(() => {
    if (!focus || !panes) return;
    const terminal = running.find((t) => t.id === focus);
    if (terminal) openBeside(terminal);
    else setPanes((ps) => (ps ?? []).map((p) => (p.tabs.some((x) => x.id === focus) ? { ...p, active: focus } : p)));
    setParams((ps) => {
      ps.delete("focus");
      return ps;
    }, { replace: true });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [focus, panes !== null, terminals.data]);

  // Commands from the palette.
  const latest = useRef({ addChat, open, last, addTerminal });
  latest.current = { addChat, open, last, addTerminal };
  useEffect(
    () =>
      onWorkspaceCommand((command) => {
        const { addChat, open, last, addTerminal } = latest.current;
        if (command === "new-chat") addChat();
        if (command === "new-terminal") addTerminal();
        if (command === "open-files") open({ id: "files", kind: "files", title: "Files" }, last);
        if (command === "split") setPanes((ps) => [...(ps ?? []), { tabs: [], active: "" }]);
        if (command === "tool-stats") open({ id: "stats", kind: "stats", title: "Tool statistics" }, last);
      }),
    [],
  );

  return (
    <TerminalTargets.Provider value={liveTerminals}>
    <OpenTerminal.Provider value={{ live: running, open: (id) => { const t = running.find((x) => x.id === id); if (t) openBeside(t); } }}>
    <OpenChat.Provider value={{ chats, open: openChat }}>
    <div className="flex min-h-0 min-w-0 flex-1 flex-col" data-testid="workspace">
      <div className="flex items-center gap-2 border-b border-line px-2 py-1" role="toolbar" aria-label="Workspace">
        <button className="btn" data-testid="open-files" onClick={() => open({ id: "files", kind: "files", title: "Files" }, last)}>Files</button>
        <button className="btn" onClick={() => open({ id: "session-review", kind: "session-review", title: "Session changes" }, last)}>Session changes</button>
        <button className="btn" disabled={newTerminal.isPending} onClick={() => addTerminal()}>Terminal</button>
        <button
          className="btn"
          onClick={() => {
            setArenaFrom(null);
            setArenaOpen(true);
          }}
        >
          Arena
        </button>
        {arenaOpen && (
          <ArenaDialog
            sessionId={sessionId}
            open={arenaOpen}
            onOpenChange={setArenaOpen}
            prompt={(() => {
              if (arenaFrom) return drafts[arenaFrom] ?? "";
              const tab = (panes ?? []).map((p) => p.tabs.find((t) => t.id === p.active)).find((t) => t?.kind === "chat");
              return tab && tab.kind === "chat" ? (drafts[tab.chatId] ?? "") : "";
            })()}
            onStarted={showArena}
          />
        )}
        <button className="btn max-md:hidden" data-testid="split" onClick={() => setPanes((ps) => [...(ps ?? []), { tabs: [], active: "" }])}>Split</button>
        <button
          className="btn max-md:hidden"
          data-testid="new-chat"
          disabled={newChat.isPending}
          onClick={addChat}
        >
          New chat
        </button>
        {(newChat.error || save.error || newTerminal.error) && <span role="alert" className="text-sm text-err">{(newChat.error ?? save.error ?? newTerminal.error)?.message}</span>}
        <SessionUsage sessionId={sessionId} turns={Object.values(live).reduce((n, c) => n + c.messages.filter((m) => m.status !== "streaming").length, 0)} />
      </div>
      <div className="flex min-h-0 flex-1 max-md:snap-y max-md:snap-mandatory max-md:flex-col max-md:overflow-y-auto">
        {(panes ?? []).map((pane, pi) => (
          <Tabs.Root
            key={pi}
            value={pane.active}
            onValueChange={(active) => setPanes((ps) => (ps ?? []).map((p, i) => (i === pi ? { ...p, active } : p)))}
            className="flex min-h-0 min-w-0 flex-1 flex-col border-r border-line last:border-r-0 max-md:h-full max-md:flex-none max-md:snap-start max-md:border-r-0 max-md:border-b"
            data-testid="pane"
          >
            <div className="flex items-center border-b border-line">
              <Tabs.List className="flex flex-1 gap-0.5 overflow-x-auto p-1" aria-label={`Pane ${pi + 1}`}>
                {pane.tabs.map((t) => (
                  <Tabs.Trigger key={t.id} value={t.id} className="flex-none rounded-t-md px-3 py-1 text-sm whitespace-nowrap hover:bg-hover data-[state=active]:bg-selected">
                    {t.title}
                  </Tabs.Trigger>
                ))}
              </Tabs.List>
              {(panes?.length ?? 0) > 1 && (
                <button className="icon-btn" aria-label={`Close pane ${pi + 1}`} onClick={() => setPanes((ps) => (ps ?? []).filter((_, i) => i !== pi))}>×</button>
              )}
            </div>
            {pane.tabs.map((t) => (
              <Tabs.Content
                key={t.id}
                value={t.id}
                className="flex min-h-0 flex-1 flex-col data-[state=inactive]:hidden"
                {...swipeHandlers((d) => {
                  const next = swipeTarget(pane.tabs.map((x) => x.id), pane.active, d);
                  if (next) setPanes((ps) => (ps ?? []).map((p, i) => (i === pi ? { ...p, active: next } : p)));
                })}
              >
                {t.kind === "chat" && (
                  <ChatPane
                    chatId={t.chatId}
                    projectId={project.id}
                    settings={chats.find((c) => c.id === t.chatId)}
                    chat={live[t.chatId] ?? emptyChat()}
                    draft={drafts[t.chatId] ?? ""}
                    setDraft={(text) => setDrafts((d) => ({ ...d, [t.chatId]: text }))}
                    onArtifact={(a) => open({ id: `artifact-${a.source.length}-${a.kind}`, kind: "artifact", title: a.title, artifact: a }, last)}
                    onOlder={() => loadOlder(t.chatId)}
                    onArena={() => {
                      setArenaFrom(t.chatId);
                      setArenaOpen(true);
                    }}
                    onReview={() => open({ id: `review-${t.chatId}`, kind: "review", chatId: t.chatId, title: `Review ${t.title}` }, last)}
                  />
                )}
                {t.kind === "files" && (
                  <FileBrowser
                    projectId={project.id}
                    onAttach={(text) => {
                      const chatTab = (panes ?? []).flatMap((p) => p.tabs).find((x) => x.kind === "chat");
                      if (chatTab && chatTab.kind === "chat") setDrafts((d) => ({ ...d, [chatTab.chatId]: (d[chatTab.chatId] ?? "") + text }));
                    }}
                  />
                )}
                {t.kind === "artifact" && <ArtifactView artifact={t.artifact} />}
                {t.kind === "stats" && <ToolStatsView />}
                {t.kind === "arena" && (
                  <ArenaSummary
                    arenaId={t.arenaId}
                    onPicked={(a) => {
                      if (a.picked_chat) open({ id: `review-${a.picked_chat}`, kind: "review", chatId: a.picked_chat, title: `Review pick ${a.picked}` }, pi);
                    }}
                    onRerun={showArena}
                  />
                )}
                {t.kind === "review" && (
                  <Suspense fallback={<p className="p-4 text-muted">Loading the diff viewer…</p>}>
                    <ReviewPanel chats={[{ id: t.chatId, title: t.title.replace(/^Review /, "") }]} />
                  </Suspense>
                )}
                {t.kind === "terminal" && (
                  <Suspense fallback={<p className="p-4 text-muted">Loading the terminal…</p>}>
                    <TerminalPane terminalId={t.terminalId} onNew={() => addTerminal(pi)} />
                  </Suspense>
                )}
                {t.kind === "session-review" && (
                  <Suspense fallback={<p className="p-4 text-muted">Loading the diff viewer…</p>}>
                    <ReviewPanel chats={chats.map((c, i) => ({ id: c.id, title: c.title || `Chat ${i + 1}` }))} />
                  </Suspense>
                )}
              </Tabs.Content>
            ))}
          </Tabs.Root>
        ))}
      </div>
    </div>
    </OpenChat.Provider>
    </OpenTerminal.Provider>
    </TerminalTargets.Provider>
  );
}
