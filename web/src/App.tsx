import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";
import { SafeMarkdown } from "./components/Markdown";
import { api, getSession, listProjects, listSessions, messages as loadMessages, patch, post, put, stream } from "./api";
import { ChatPane } from "./components/ChatPane";
import { FileBrowser } from "./components/FileBrowser";
import type { Artifact } from "./components/MessageView";
import type { Chat, ChatStatus, Project, Session, SessionFrame, UserFrame } from "./generated/types";
import { emptyChat, reducer } from "./state/reducer";

type Tab =
  | { id: string; kind: "chat"; chatId: string; title: string }
  | { id: string; kind: "files"; title: string }
  | { id: string; kind: "artifact"; title: string; artifact: Artifact };

interface Pane {
  tabs: Tab[];
  active: string;
}

const clientId = Math.random().toString(36).slice(2);

function ArtifactView({ artifact }: { artifact: Artifact }) {
  const frame = useRef<HTMLIFrameElement>(null);
  useEffect(() => {
    if (artifact.kind !== "html") return;
    // The frame page (served with its own no-network policy) asks for its content once loaded.
    const onMessage = (e: MessageEvent) => {
      if (e.source === frame.current?.contentWindow && e.data?.type === "boocode-artifact-ready") {
        frame.current?.contentWindow?.postMessage({ type: "boocode-artifact", html: artifact.source }, "*");
      }
    };
    window.addEventListener("message", onMessage);
    return () => window.removeEventListener("message", onMessage);
  }, [artifact]);
  if (artifact.kind === "html") {
    // Scripts may run, but with no same-origin access (no cookies, no API) and, by the frame's
    // own Content-Security-Policy, no network at all.
    return <iframe ref={frame} className="artifact" title="artifact" sandbox="allow-scripts" src="/artifact-frame" data-testid="artifact-frame" />;
  }
  return (
    <div className="artifact-markdown markdown">
      <SafeMarkdown text={artifact.source} />
    </div>
  );
}

function Sidebar(props: {
  projects: Project[];
  sessions: Record<string, Session[]>;
  statuses: Record<string, ChatStatus>;
  current: string | null;
  openProject: (id: string) => void;
  openSession: (s: Session) => void;
  refresh: () => void;
}) {
  const [path, setPath] = useState("");
  const [error, setError] = useState<string | null>(null);
  const add = async () => {
    setError(null);
    try {
      const body = path.includes("/") ? { path } : { name: path, create: true };
      await post("/api/projects", body);
      setPath("");
      props.refresh();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <nav className="sidebar" data-testid="sidebar">
      <h1>BooCode</h1>
      <form className="add-project" onSubmit={(e) => { e.preventDefault(); void add(); }}>
        <input data-testid="project-path" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/path/to/repo or new-name" />
        <button type="submit" data-testid="add-project">Add</button>
      </form>
      {error && <div className="notice error">{error}</div>}
      {props.projects.map((p) => (
        <section key={p.id} className="project">
          <div className="project-head">
            <button className="project-name" data-testid="project" onClick={() => props.openProject(p.id)}>{p.name}</button>
            <button
              title="New session"
              data-testid="new-session"
              onClick={async () => {
                const created = await post<{ session: Session }>(`/api/projects/${p.id}/sessions`, {});
                props.openSession(created.session);
              }}
            >+</button>
          </div>
          <ul>
            {(props.sessions[p.id] ?? []).map((s) => (
              <li key={s.id} className={s.id === props.current ? "current" : ""}>
                <button className="session" data-testid="session" onClick={() => props.openSession(s)}>
                  <span className={`status-dot ${props.statuses[s.id] ?? "idle"}`} />
                  {s.title || "New session"}
                </button>
                <button title="Rename" onClick={() => { const t = prompt("Rename session", s.title); if (t !== null) void patch(`/api/sessions/${s.id}`, { title: t }); }}>✎</button>
                <button title="Archive" onClick={() => void patch(`/api/sessions/${s.id}`, { archived: true })}>⊟</button>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </nav>
  );
}

export function App() {
  const [projects, setProjects] = useState<Project[]>([]);
  const [sessions, setSessions] = useState<Record<string, Session[]>>({});
  const [statuses, setStatuses] = useState<Record<string, ChatStatus>>({});
  const [current, setCurrent] = useState<Session | null>(null);
  const [chats, setChats] = useState<Chat[]>([]);
  const [panes, setPanes] = useState<Pane[]>([]);
  const [drawer, setDrawer] = useState(false);
  const [state, dispatch] = useReducer(reducer, {});
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const remoteLayout = useRef(false);

  const refresh = useCallback(async () => {
    const list = await listProjects();
    setProjects(list);
    const all: Record<string, Session[]> = {};
    await Promise.all(list.map(async (p) => (all[p.id] = await listSessions(p.id))));
    setSessions(all);
    // A reload reopens the session named in the address.
    const wanted = location.hash.slice(1);
    if (wanted) {
      const found = Object.values(all).flat().find((s) => s.id === wanted);
      if (found) setCurrent((c) => c ?? found);
    }
  }, []);

  useEffect(() => {
    void refresh();
    return stream<UserFrame>("/api/user/ws", (frame) => {
      if (frame.type === "session_created" || frame.type === "session_updated") {
        void refresh();
        if (frame.type === "session_updated") setCurrent((c) => (c && c.id === frame.session.id ? frame.session : c));
      } else if (frame.type === "chat_status") {
        setStatuses((s) => ({ ...s, [frame.session_id]: frame.status }));
      } else if (frame.type === "workspace_updated" && frame.origin !== clientId) {
        setCurrent((c) => {
          if (c && c.id === frame.session_id && Array.isArray(frame.panes)) {
            remoteLayout.current = true;
            setPanes(frame.panes as Pane[]);
          }
          return c;
        });
      } else if (frame.type === "resync") {
        void refresh();
      }
    });
  }, [refresh]);

  // Open a session: its chats, its layout, its history, its live stream.
  useEffect(() => {
    if (!current) return;
    let cancelled = false;
    const sessionId = current.id;
    void (async () => {
      const { chats } = await getSession(sessionId);
      const saved = await api<{ panes: Pane[] | null }>(`/api/sessions/${sessionId}/workspace`);
      if (cancelled) return;
      setChats(chats);
      remoteLayout.current = true;
      setPanes(saved.panes && saved.panes.length ? saved.panes : [{ tabs: chats.map((c, i) => ({ id: c.id, kind: "chat", chatId: c.id, title: c.title || `Chat ${i + 1}` })), active: chats[0]?.id ?? "" }]);
      for (const c of chats) {
        const page = await loadMessages(c.id);
        dispatch({ kind: "history", chatId: c.id, messages: page.messages, running: page.running });
      }
    })();
    const close = stream<SessionFrame>(`/api/sessions/${sessionId}/ws`, (frame) => dispatch({ kind: "frame", frame }));
    return () => {
      cancelled = true;
      close();
    };
  }, [current?.id]); // eslint-disable-line react-hooks/exhaustive-deps

  // Reload a chat whose stream had a gap.
  useEffect(() => {
    for (const [chatId, chat] of Object.entries(state)) {
      if (chat.needsReload) void loadMessages(chatId).then((p) => dispatch({ kind: "history", chatId, messages: p.messages, running: p.running }));
    }
  }, [state]);

  // Save the layout (not when it just came from another device).
  useEffect(() => {
    if (!current || !panes.length) return;
    if (remoteLayout.current) {
      remoteLayout.current = false;
      return;
    }
    const t = setTimeout(() => void put(`/api/sessions/${current.id}/workspace`, { panes, origin: clientId }), 400);
    return () => clearTimeout(t);
  }, [panes, current]);

  const openTab = useCallback((tab: Tab, paneIndex = 0) => {
    setPanes((ps) => {
      const next = ps.length ? ps.map((p) => ({ ...p, tabs: [...p.tabs] })) : [{ tabs: [], active: "" }];
      const pane = next[Math.min(paneIndex, next.length - 1)];
      if (!pane.tabs.some((t) => t.id === tab.id)) pane.tabs.push(tab);
      pane.active = tab.id;
      return next;
    });
  }, []);

  const project = useMemo(() => projects.find((p) => p.id === current?.project_id) ?? null, [projects, current]);

  return (
    <div className={`app ${drawer ? "drawer-open" : ""}`}>
      <header className="topbar">
        <button className="menu" data-testid="menu" aria-label="Menu" onClick={() => setDrawer(!drawer)}>☰</button>
        <span className="title" data-testid="session-title">{current ? current.title || "New session" : "BooCode"}</span>
        {current && (
          <span className="topbar-actions">
            <button data-testid="open-files" onClick={() => openTab({ id: "files", kind: "files", title: "Files" }, panes.length - 1)}>Files</button>
            <button data-testid="split" onClick={() => setPanes((ps) => [...ps, { tabs: [], active: "" }])}>Split</button>
            <button
              data-testid="new-chat"
              onClick={async () => {
                const chat = await post<Chat>(`/api/sessions/${current.id}/chats`, {});
                setChats((c) => [...c, chat]);
                openTab({ id: chat.id, kind: "chat", chatId: chat.id, title: `Chat ${chats.length + 1}` });
              }}
            >New chat</button>
          </span>
        )}
      </header>
      <Sidebar
        projects={projects}
        sessions={sessions}
        statuses={statuses}
        current={current?.id ?? null}
        openProject={() => setDrawer(true)}
        openSession={(s) => {
          setCurrent(s);
          history.replaceState(null, "", `#${s.id}`);
          setDrawer(false);
        }}
        refresh={() => void refresh()}
      />
      <main className="workspace" data-testid="workspace">
        {!current && <div className="empty">Add a project, then start a session.</div>}
        {current &&
          panes.map((pane, pi) => (
            <section key={pi} className="pane" data-testid="pane">
              <div className="tabs" role="tablist">
                {pane.tabs.map((t) => (
                  <button key={t.id} role="tab" className={t.id === pane.active ? "active" : ""} onClick={() => setPanes((ps) => ps.map((p, i) => (i === pi ? { ...p, active: t.id } : p)))}>
                    {t.title}
                  </button>
                ))}
                {panes.length > 1 && <button className="close-pane" title="Close pane" onClick={() => setPanes((ps) => ps.filter((_, i) => i !== pi))}>×</button>}
              </div>
              {pane.tabs.filter((t) => t.id === pane.active).map((t) => {
                if (t.kind === "chat") {
                  return (
                    <ChatPane
                      key={t.id}
                      chatId={t.chatId}
                      chat={state[t.chatId] ?? emptyChat()}
                      draft={drafts[t.chatId] ?? ""}
                      setDraft={(text) => setDrafts((d) => ({ ...d, [t.chatId]: text }))}
                      onArtifact={(a) => openTab({ id: `artifact-${a.source.length}-${a.kind}`, kind: "artifact", title: a.title, artifact: a }, panes.length - 1)}
                    />
                  );
                }
                if (t.kind === "files") {
                  return project ? (
                    <FileBrowser
                      key={t.id}
                      projectId={project.id}
                      onAttach={(text) => {
                        const chatTab = panes.flatMap((p) => p.tabs).find((x) => x.kind === "chat");
                        if (chatTab && chatTab.kind === "chat") setDrafts((d) => ({ ...d, [chatTab.chatId]: (d[chatTab.chatId] ?? "") + text }));
                      }}
                    />
                  ) : null;
                }
                return <ArtifactView key={t.id} artifact={t.artifact} />;
              })}
            </section>
          ))}
      </main>
    </div>
  );
}
