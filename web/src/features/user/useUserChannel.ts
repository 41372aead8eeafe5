// The user's channel (`/api/user/ws`): sessions created or renamed anywhere, chat statuses, the
// inbox count, and layouts saved on another device. Frames refresh the queries they touch.
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { ChatStatus, UserFrame } from "../../generated/types";
import { clientId, stream } from "../../lib/api";
import { keys } from "../../lib/queries";
import { NoteWatch, show } from "../notify/notifier";

export interface UserChannel {
  /** The latest status of some chat of each session, by session id. */
  statuses: Record<string, ChatStatus>;
  /** Permission prompts waiting across every session. */
  inboxWaiting: number;
  /** Chats' agent terminals (TUIs) waiting for input. */
  terminalsWaiting: number;
}

export function useUserChannel(): UserChannel {
  const queries = useQueryClient();
  const [statuses, setStatuses] = useState<Record<string, ChatStatus>>({});
  const [inboxWaiting, setInboxWaiting] = useState(0);
  const [terminalsWaiting, setTerminalsWaiting] = useState(0);
  useEffect(() => {
    const watch = new NoteWatch();
    return stream<UserFrame>("/api/user/ws", (frame) => {
        switch (frame.type) {
          case "ready":
            setInboxWaiting(frame.inbox_waiting);
            setTerminalsWaiting(frame.terminals_waiting);
            watch.inbox(frame.inbox_waiting);
            break;
          case "terminals_waiting":
            setTerminalsWaiting(frame.waiting);
            break;
          case "session_created":
          case "session_updated":
            void queries.invalidateQueries({ queryKey: keys.projects });
            void queries.invalidateQueries({ queryKey: keys.sessions(frame.session.project_id) });
            void queries.invalidateQueries({ queryKey: keys.session(frame.session.id) });
            break;
          case "chat_created":
            void queries.invalidateQueries({ queryKey: keys.session(frame.chat.session_id) });
            break;
          case "chat_status":
            setStatuses((s) => ({ ...s, [frame.session_id]: frame.status }));
            show(watch.status(frame.chat_id, frame.status, Date.now()));
            break;
          case "inbox_changed":
            setInboxWaiting(frame.waiting);
            show(watch.inbox(frame.waiting));
            break;
          case "arena_updated":
            queries.setQueryData(["arenas", frame.arena.id], frame.arena);
            break;
          case "workspace_updated":
            if (frame.origin !== clientId) queries.setQueryData(keys.workspace(frame.session_id), { panes: frame.panes, origin: frame.origin });
            break;
          case "resync":
            void queries.invalidateQueries();
            break;
          default:
            break;
        }
      });
  }, [queries]);
  return { statuses, inboxWaiting, terminalsWaiting };
}
