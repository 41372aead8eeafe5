// The server's REST API and WebSocket streams.
import type { Chat, Message, Project, Session } from "./generated/types";

export class ApiError extends Error {
  constructor(public status: number, public code: string, message: string) {
    super(message);
  }
}

export async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(path, {
    ...init,
    headers: init?.body ? { "content-type": "application/json", ...init?.headers } : init?.headers,
  });
  if (res.status === 401) {
    window.location.href = "/login";
    throw new ApiError(401, "unauthorized", "authentication required");
  }
  const text = await res.text();
  const body = text ? JSON.parse(text) : null;
  if (!res.ok) {
    throw new ApiError(res.status, body?.error?.code ?? "error", body?.error?.message ?? res.statusText);
  }
  return body as T;
}

export const post = <T>(path: string, body: unknown = {}) => api<T>(path, { method: "POST", body: JSON.stringify(body) });
export const patch = <T>(path: string, body: unknown) => api<T>(path, { method: "PATCH", body: JSON.stringify(body) });
export const put = <T>(path: string, body: unknown) => api<T>(path, { method: "PUT", body: JSON.stringify(body) });

export interface MessagePage {
  messages: Message[];
  cursor: number | null;
  has_more: boolean;
  running: boolean;
}

export const listProjects = () => api<Project[]>("/api/projects");
export const listSessions = (projectId: string, archived = false) => api<Session[]>(`/api/projects/${projectId}/sessions?archived=${archived}`);
export const getSession = (id: string) => api<{ session: Session; chats: Chat[] }>(`/api/sessions/${id}`);
export const messages = (chatId: string, before?: number) =>
  api<MessagePage>(`/api/chats/${chatId}/messages?limit=200${before ? `&before=${before}` : ""}`);

/** A WebSocket that reconnects with backoff until closed; frames are parsed JSON. */
export function stream<T>(path: string, onFrame: (frame: T) => void, onOpen?: () => void): () => void {
  let socket: WebSocket | null = null;
  let closed = false;
  let attempt = 0;
  const open = () => {
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
    socket = new WebSocket(url);
    socket.onopen = () => {
      attempt = 0;
      onOpen?.();
    };
    socket.onmessage = (e) => onFrame(JSON.parse(e.data as string) as T);
    socket.onclose = () => {
      if (closed) return;
      attempt += 1;
      setTimeout(open, Math.min(5000, 200 * 2 ** attempt));
    };
  };
  open();
  return () => {
    closed = true;
    socket?.close();
  };
}
