// A session's chats, live: their stored messages, then every frame of the session's WebSocket
// folded in by the reducer; a chat whose frames had a gap is loaded again.
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useReducer } from "react";
import type { Chat, MessagesPage, SessionFrame } from "../../generated/types";
import { client, stream, unwrapAs } from "../../lib/api";
import { queueKey } from "../queue/useQueue";
import { changesKey } from "../review/useChanges";
import { reducer, type SessionState } from "./reducer";

async function history(chatId: string) {
  return unwrapAs<MessagesPage>(client.GET("/api/chats/{id}/messages", { params: { path: { id: chatId }, query: { limit: 200 } } }));
}

export function useChatStream(sessionId: string | undefined, chats: Chat[]): SessionState {
  const [state, dispatch] = useReducer(reducer, {});
  const queries = useQueryClient();
  const chatIds = chats.map((c) => c.id).join(",");

  useEffect(() => {
    if (!sessionId) return;
    return stream<SessionFrame>(`/api/sessions/${sessionId}/ws`, (frame) => {
      // A chat's whole change list, after each of its tool calls and each apply, reject or rewind.
      if (frame.type === "changes_changed") queries.setQueryData(changesKey(frame.chat_id), frame.changes);
      if (frame.type === "queue_changed") queries.setQueryData(queueKey(frame.chat_id), frame.queue);
      dispatch({ kind: "frame", frame });
    });
  }, [sessionId, queries]);

  useEffect(() => {
    let cancelled = false;
    for (const chatId of chatIds ? chatIds.split(",") : []) {
      void history(chatId).then((page) => {
        if (!cancelled) dispatch({ kind: "history", chatId, messages: page.messages, running: page.running });
      });
    }
    return () => {
      cancelled = true;
    };
  }, [chatIds]);

  useEffect(() => {
    for (const [chatId, chat] of Object.entries(state)) {
      if (chat.needsReload) void history(chatId).then((page) => dispatch({ kind: "history", chatId, messages: page.messages, running: page.running }));
    }
  }, [state]);

  return state;
}
