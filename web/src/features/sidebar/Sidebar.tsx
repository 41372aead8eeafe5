// Projects and their sessions: add a project, start a session, open, rename or archive one.
import { DropdownMenu } from "radix-ui";
import { FormDialog } from "../../lib/FormDialog";
import { useState, type ReactNode } from "react";
import { useNavigate } from "react-router";
import type { ChatStatus, Project, Session } from "../../generated/types";
import { useAddProject, useNewSession, usePatchSession, useProjects, useSessions } from "../../lib/queries";
import { StatusDot } from "../chat/StatusDot";
import { ProjectSettingsDialog } from "./ProjectSettingsDialog";

function RenameDialog({ session, onClose }: { session: Session; onClose: () => void }) {
  const [title, setTitle] = useState(session.title);
  const patch = usePatchSession();
  return (
    <FormDialog title="Rename session" description="A new title for the session" error={patch.error?.message ?? null} pending={patch.isPending} onClose={onClose} onSubmit={() => patch.mutate({ id: session.id, title }, { onSuccess: onClose })}>
      <label className="flex flex-col gap-1 text-sm">
        Title
        <input className="field" value={title} onChange={(e) => setTitle(e.target.value)} autoFocus maxLength={200} />
      </label>
    </FormDialog>
  );
}

function SessionRow({ session, current, status, onOpen }: { session: Session; current: boolean; status: ChatStatus | undefined; onOpen: () => void }) {
  const [renaming, setRenaming] = useState(false);
  const patch = usePatchSession();
  const title = session.title || "New session";
  return (
    <li className={`group flex items-center gap-1 rounded-md ${current ? "bg-selected" : ""}`}>
      <button className="flex min-w-0 flex-1 items-center gap-2 truncate rounded-md px-2 py-1.5 text-left hover:bg-hover" data-testid="session" aria-current={current ? "page" : undefined} onClick={onOpen}>
        <StatusDot status={status ?? "idle"} />
        <span className="truncate">{title}</span>
      </button>
      <DropdownMenu.Root>
        <DropdownMenu.Trigger asChild>
          <button className="icon-btn" aria-label={`Actions for ${title}`}>⋯</button>
        </DropdownMenu.Trigger>
        <DropdownMenu.Portal>
          <DropdownMenu.Content className="menu" align="end" sideOffset={4}>
            <DropdownMenu.Item className="menu-item" onSelect={() => setRenaming(true)}>Rename…</DropdownMenu.Item>
            <DropdownMenu.Item className="menu-item" onSelect={() => patch.mutate({ id: session.id, archived: true })}>Archive</DropdownMenu.Item>
          </DropdownMenu.Content>
        </DropdownMenu.Portal>
      </DropdownMenu.Root>
      {renaming && <RenameDialog session={session} onClose={() => setRenaming(false)} />}
    </li>
  );
}

function ProjectSection({ project, currentSession, statuses, onNavigate }: { project: Project; currentSession: string | undefined; statuses: Record<string, ChatStatus>; onNavigate: () => void }) {
  const sessions = useSessions(project.id);
  const newSession = useNewSession();
  const navigate = useNavigate();
  const [editing, setEditing] = useState(false);
  const open = (id: string) => {
    navigate(`/s/${id}`);
    onNavigate();
  };
  return (
    <section className="mt-3" aria-label={`Project ${project.name}`}>
      <div className="flex items-center justify-between gap-2">
        <h2 className="min-w-0 flex-1 truncate text-sm font-semibold" data-testid="project">{project.name}</h2>
        <button className="icon-btn" aria-label={`Settings of ${project.name}`} onClick={() => setEditing(true)}>⚙</button>
        <button
          className="icon-btn"
          aria-label={`New session in ${project.name}`}
          data-testid="new-session"
          disabled={newSession.isPending}
          onClick={() => newSession.mutate(project.id, { onSuccess: (created) => open(created.session.id) })}
        >
          +
        </button>
      </div>
      {editing && <ProjectSettingsDialog project={project} onClose={() => setEditing(false)} />}
      {newSession.error && <p role="alert" className="notice error">{newSession.error.message}</p>}
      <ul className="mt-1 flex flex-col gap-0.5">
        {(sessions.data ?? []).map((s) => (
          <SessionRow key={s.id} session={s} current={s.id === currentSession} status={statuses[s.id]} onOpen={() => open(s.id)} />
        ))}
      </ul>
    </section>
  );
}

export function Sidebar({ currentSession, statuses, open, onNavigate, footer }: { currentSession: string | undefined; statuses: Record<string, ChatStatus>; open: boolean; onNavigate: () => void; footer?: ReactNode }) {
  const projects = useProjects();
  const add = useAddProject();
  const [path, setPath] = useState("");
  return (
    <nav
      aria-label="Projects and sessions"
      data-testid="sidebar"
      className={`sidebar z-20 overflow-auto border-r border-line bg-panel p-3 max-md:fixed max-md:top-11 max-md:bottom-0 max-md:left-0 max-md:w-[85vw] max-md:max-w-80 max-md:transition-transform ${open ? "" : "max-md:-translate-x-full"}`}
    >
      <h1 className="mb-3 text-base font-semibold">BooCode</h1>
      <form
        className="flex gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          add.mutate(path, { onSuccess: () => setPath("") });
        }}
      >
        <input className="field min-w-0 flex-1" aria-label="Project folder or new project name" data-testid="project-path" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/path/to/repo or new-name" />
        <button type="submit" className="btn" data-testid="add-project" disabled={!path.trim() || add.isPending}>Add</button>
      </form>
      {add.error && <p role="alert" className="notice error mt-2">{add.error.message}</p>}
      {projects.error && <p role="alert" className="notice error mt-2">{projects.error.message}</p>}
      {(projects.data ?? []).map((p) => (
        <ProjectSection key={p.id} project={p} currentSession={currentSession} statuses={statuses} onNavigate={onNavigate} />
      ))}
      {footer && <div className="mt-6 border-t border-line pt-3">{footer}</div>}
    </nav>
  );
}
