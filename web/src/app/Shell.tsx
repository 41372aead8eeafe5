// The page: a top bar, the projects sidebar (a drawer on a phone) and the open session's workspace.
import { useEffect, useRef, useState } from "react";
import { useLocation, useNavigate, useParams } from "react-router";
import { useProjects, useSession, useSetup } from "../lib/queries";
import { onWorkspaceCommand } from "../lib/commands";
import { SetupPanel } from "../features/setup/SetupPanel";
import { Sidebar } from "../features/sidebar/Sidebar";
import { useUserChannel } from "../features/user/useUserChannel";
import { Workspace } from "../features/workspace/Workspace";
import { InboxButton } from "../features/inbox/InboxButton";
import { CommandPalette } from "../features/palette/CommandPalette";
import { Preferences, useWide } from "./Preferences";

export function Shell() {
  const { sessionId } = useParams();
  const location = useLocation();
  const navigate = useNavigate();
  const user = useUserChannel();
  const [drawer, setDrawer] = useState(false);
  const session = useSession(sessionId);
  const projects = useProjects();
  const project = projects.data?.find((p) => p.id === session.data?.session.project_id);
  const setup = useSetup();
  const wide = useWide();
  const [settingsOpen, setSettingsOpen] = useState(false);
  // A first run with no model server answering opens the setup panel, once per page load.
  const offered = useRef(false);
  useEffect(() => {
    if (setup.data && !setup.data.ready && !offered.current) {
      offered.current = true;
      setSettingsOpen(true);
    }
  }, [setup.data]);
  useEffect(() => onWorkspaceCommand((c) => c === "settings" && setSettingsOpen(true)), []);

  // Links from before sessions had their own address (`/#<id>`) still open them.
  useEffect(() => {
    if (!sessionId && location.hash.length > 1) navigate(`/s/${location.hash.slice(1)}`, { replace: true });
  }, [sessionId, location.hash, navigate]);

  const title = session.data ? session.data.session.title || "New session" : "BooCode";
  return (
    <div className="grid h-dvh grid-cols-[minmax(0,1fr)] grid-rows-[44px_minmax(0,1fr)] md:grid-cols-[260px_minmax(0,1fr)]">
      <header className="col-span-full flex items-center gap-2 border-b border-line bg-panel px-2">
        <button className="icon-btn md:hidden" data-testid="menu" aria-label="Menu" aria-expanded={drawer} onClick={() => setDrawer(!drawer)}>☰</button>
        <span className="flex-1 truncate font-semibold" data-testid="session-title">{title}</span>
        <CommandPalette inSession={Boolean(sessionId && project)} inboxWaiting={user.inboxWaiting} />
        <InboxButton waiting={user.inboxWaiting} terminals={user.terminalsWaiting} />
        <button className={`icon-btn ${setup.data && !setup.data.ready ? "text-warn" : ""}`} aria-label={setup.data && !setup.data.ready ? "Model and providers (no model server answers)" : "Model and providers"} onClick={() => setSettingsOpen(true)}>
          ⚙
        </button>
        <SetupPanel open={settingsOpen} onOpenChange={setSettingsOpen} />
        {wide && <Preferences />}
      </header>
      {drawer && <button className="fixed inset-x-0 top-11 bottom-0 z-10 bg-black/40 md:hidden" aria-label="Close the menu" onClick={() => setDrawer(false)} />}
      <Sidebar currentSession={sessionId} statuses={user.statuses} open={drawer} onNavigate={() => setDrawer(false)} footer={wide ? null : <Preferences />} />
      <main className="flex min-h-0 min-w-0">
        {sessionId && project ? (
          <Workspace key={sessionId} sessionId={sessionId} project={project} />
        ) : session.error ? (
          <p role="alert" className="p-5 text-err">{session.error.message}</p>
        ) : (
          <p className="p-5 text-muted">Add a project, then start a session.</p>
        )}
      </main>
    </div>
  );
}
