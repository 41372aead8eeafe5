// Browser notifications, opt-in: when a permission prompt arrives or a long turn ends while the
// tab is hidden. The decisions are plain functions of what the user channel reports; showing
// one goes through the browser's Notification API.
import type { ChatStatus } from "../../generated/types";

/** A turn at least this long (ms) is worth a notification when it ends. */
export const LONG_TURN_MS = 20_000;

const STORE_KEY = "boocode-notify";

export interface Note {
  title: string;
  body: string;
  /** Same tag, one notification: a newer one replaces it. */
  tag: string;
}

/** Decides which events deserve a notification. */
export class NoteWatch {
  private started = new Map<string, number>();
  private waiting = 0;

  /** The inbox count changed: a note when it grew. */
  inbox(waiting: number): Note | null {
    const grew = waiting > this.waiting;
    this.waiting = waiting;
    if (!grew) return null;
    return { title: "BooCode: a prompt waits for you", body: waiting === 1 ? "An agent asks for permission." : `${waiting} permission prompts wait.`, tag: "inbox" };
  }

  /** A chat's status changed at `now` (ms): a note when a long turn ended. */
  status(chatId: string, status: ChatStatus, now: number, title = "a chat"): Note | null {
    if (status === "streaming" || status === "waiting_for_input") {
      if (!this.started.has(chatId)) this.started.set(chatId, now);
      return null;
    }
    const since = this.started.get(chatId);
    this.started.delete(chatId);
    if (since === undefined || now - since < LONG_TURN_MS) return null;
    const failed = status === "error";
    return { title: failed ? "BooCode: a turn failed" : "BooCode: a turn finished", body: `${title}, after ${Math.round((now - since) / 1000)} s.`, tag: `turn-${chatId}` };
  }
}

/** Whether the user turned notifications on in this browser. */
export function notificationsWanted(): boolean {
  return localStorage.getItem(STORE_KEY) === "on";
}

export function setNotificationsWanted(on: boolean): void {
  localStorage.setItem(STORE_KEY, on ? "on" : "off");
}

/** Shows `note` if wanted, permitted, and the page is hidden (a visible page shows it anyway). */
export function show(note: Note | null): void {
  if (!note || !notificationsWanted() || !document.hidden) return;
  if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
  new Notification(note.title, { body: note.body, tag: note.tag });
}
