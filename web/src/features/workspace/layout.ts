// A session's layout: panes side by side, each with tabs (chats, files, artifacts). Saved on the
// server per session (and sent to the user's other devices); the active tab of each pane is also
// in the address (`?tabs=a,b`), so a link or a reload opens exactly that view.
import type { Chat } from "../../generated/types";
import type { Artifact } from "../chat/MessageView";

export type Tab =
  | { id: string; kind: "chat"; chatId: string; title: string }
  | { id: string; kind: "files"; title: string }
  | { id: string; kind: "review"; chatId: string; title: string }
  | { id: string; kind: "session-review"; title: string }
  | { id: string; kind: "terminal"; terminalId: string; title: string }
  | { id: string; kind: "stats"; title: string }
  | { id: string; kind: "arena"; arenaId: string; title: string }
  | { id: string; kind: "artifact"; title: string; artifact: Artifact };

export interface Pane {
  tabs: Tab[];
  active: string;
}

/** The layout a session starts with: its chats as tabs of one pane. */
export function defaultLayout(chats: Chat[]): Pane[] {
  return [{ tabs: chats.map((c, i) => ({ id: c.id, kind: "chat", chatId: c.id, title: c.title || `Chat ${i + 1}` })), active: chats[0]?.id ?? "" }];
}

/** A saved layout, if it is one (anything else saved under the session is ignored). */
export function parseLayout(saved: unknown): Pane[] | null {
  if (!Array.isArray(saved) || saved.length === 0) return null;
  const ok = saved.every((p) => p && typeof p === "object" && Array.isArray((p as Pane).tabs) && typeof (p as Pane).active === "string");
  return ok ? (saved as Pane[]) : null;
}

/** The layout with the active tabs the address names (per pane, where that pane has the tab). */
export function withActiveTabs(panes: Pane[], tabs: string | null): Pane[] {
  if (!tabs) return panes;
  const wanted = tabs.split(",");
  return panes.map((p, i) => (wanted[i] && p.tabs.some((t) => t.id === wanted[i]) ? { ...p, active: wanted[i] } : p));
}

/** The address's `tabs` value for a layout. */
export function activeTabs(panes: Pane[]): string {
  return panes.map((p) => p.active).join(",");
}

/** Opens `tab` in pane `index` (the last pane when out of range) and makes it active. */
export function openTab(panes: Pane[], tab: Tab, index: number): Pane[] {
  const next = panes.length ? panes.map((p) => ({ ...p, tabs: [...p.tabs] })) : [{ tabs: [], active: "" }];
  const pane = next[Math.max(0, Math.min(index, next.length - 1))];
  if (!pane.tabs.some((t) => t.id === tab.id)) pane.tabs.push(tab);
  pane.active = tab.id;
  return next;
}

/** Whether two layouts have the same panes with the same tabs (whatever is active). */
export function sameTabs(a: Pane[], b: Pane[]): boolean {
  const ids = (panes: Pane[]) => panes.map((p) => p.tabs.map((t) => t.id).join(",")).join("|");
  return ids(a) === ids(b);
}
