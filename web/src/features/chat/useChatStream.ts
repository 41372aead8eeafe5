// A session's chats, live: their stored messages, then every frame of the session's WebSocket
// folded in by the reducer; a chat whose frames had a gap is loaded again.
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useReducer } from "react";
import type { Chat, MessagesPage, SessionFrame } from "../../generated/types";
import { client, stream, unwrapAs } from "../../lib/api";
import { queueKey } from "../queue/useQueue";
import { changesKey } from "../review/useChanges";
import { reducer, type SessionState } from "./reducer";

/** A page of a chat's messages: the newest, or those before `before`. */
async function history(chatId: string, before?: number) {
  return unwrapAs<MessagesPage>(client.GET("/api/chats/{id}/messages", { params: { path: { id: chatId }, query: { limit: 200, before } } }));
}

export interface ChatStream {
  state: SessionState;
  /** Loads the page of messages before the oldest one shown. */
  loadOlder: (chatId: string) => Promise<void>;
}

export function useChatStream(sessionId: string | undefined, chats: Chat[]): ChatStream {
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
        if (!cancelled) dispatch({ kind: "history", chatId, messages: page.messages, running: page.running, older: page.has_more ? page.cursor : null });
      });
    }
    return () => {
      cancelled = true;
    };
  }, [chatIds]);

  useEffect(() => {
    for (const [chatId, chat] of Object.entries(state)) {
      if (chat.needsReload) void history(chatId).then((page) => dispatch({ kind: "history", chatId, messages: page.messages, running: page.running, older: page.has_more ? page.cursor : null }));
    }
  }, [state]);

  const loadOlder = async (chatId: string) => {
    const before = state[chatId]?.older;
    if (before === null || before === undefined) return;
    const page = await history(chatId, before);
    dispatch({ kind: "older", chatId, messages: page.messages, older: page.has_more ? page.cursor : null });
  };
  return { state, loadOlder };
}
