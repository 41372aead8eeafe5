// What a chat needs to show its delegation tree: the session's chats (children name their
// parent) and a way to open one as a tab beside the current pane.
import { createContext } from "react";
import type { Chat } from "../../generated/types";

export interface ChatOpener {
  /** The session's chats. */
  chats: Chat[];
  /** Opens the chat as a tab (or brings its tab forward). */
  open: (chatId: string) => void;
}

export const OpenChat = createContext<ChatOpener>({ chats: [], open: () => undefined });
