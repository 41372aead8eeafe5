// The server's REST API, typed from its OpenAPI document (generated/api.ts, by openapi-typescript),
// and the reconnecting WebSocket the live frames arrive on.
import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "../generated/api";

/** A refused request, with the server's error code (`turn_running`, `not_found`, …). */
export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Every request that changes state is JSON to the server (it refuses any other type, so a
 * cross-site form can never pass), a body-less one (stop, discard) included; an expired login
 * goes back to the login page.
 */
const serverRules: Middleware = {
  onRequest({ request }) {
    if (request.method !== "GET" && !request.headers.has("content-type")) request.headers.set("content-type", "application/json");
    return request;
  },
  onResponse({ response }) {
    if (response.status === 401) window.location.href = "/login";
    return response;
  },
};

// Paths are relative: the page's own origin (the server that served it).
export const client = createClient<paths>({ baseUrl: "" });
client.use(serverRules);

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The answer's body, or an [`ApiError`] naming why the server refused. */
export async function unwrap<T>(request: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await request;
  if (!response.ok || data === undefined) {
    const detail = (error as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(response.status, detail?.code ?? "error", detail?.message ?? response.statusText);
  }
  return data;
}

/**
 * Like [`unwrap`], typed by the precise wire type generated from the Rust types
 * (`generated/types.ts`). The OpenAPI document (which types paths, parameters and bodies) marks
 * every `Option` field as optional, where serde always writes it (as `null`).
 */
export async function unwrapAs<T>(request: Promise<Answer<unknown>>): Promise<T> {
  return (await unwrap(request)) as T;
}

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

/** This tab's id: a layout it saved is not applied back to it. */
export const clientId = Math.random().toString(36).slice(2);
