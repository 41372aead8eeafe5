// Folds the server's frames into each chat's message list. The TypeScript twin of
// boocode_core::MessageBuilder: text and reasoning deltas grow the last part of their kind,
// tool calls append parts, results follow; snapshots and seq numbers make reconnects exact.
import type {
  AgentEvent,
  ChatId,
  ChatStatus,
  Message,
  MessageId,
  Part,
  SessionFrame,
  Usage,
} from "../../generated/types";

export interface ChatState {
  messages: Message[];
  /** The last event seq folded in, per streaming message. */
  seqs: Record<MessageId, number>;
  status: ChatStatus;
  usage: Usage | null;
  /** Why the current turn failed, until its finished message keeps the reason. */
  notices: { level: "info" | "warning" | "error"; text: string }[];
  /** Completion tokens seen in the running step, and when streaming began (ms). */
  streamStart: number | null;
  streamedChars: number;
  /** A frame arrived out of order: the client should reload the chat. */
  needsReload: boolean;
  /** Where the next page of older messages starts (`before`), when there is one. */
  older: number | null;
}

export type SessionState = Record<ChatId, ChatState>;

export function emptyChat(): ChatState {
  return { messages: [], seqs: {}, status: "idle", usage: null, notices: [], streamStart: null, streamedChars: 0, needsReload: false, older: null };
}

export type Action =
  | { kind: "history"; chatId: ChatId; messages: Message[]; running: boolean; older?: number | null }
  | { kind: "older"; chatId: ChatId; messages: Message[]; older: number | null }
  | { kind: "frame"; frame: SessionFrame; now?: number };

function upsert(messages: Message[], message: Message): Message[] {
  const i = messages.findIndex((m) => m.id === message.id);
  if (i === -1) return [...messages, message];
  const next = messages.slice();
  next[i] = message;
  return next;
}

function grow(parts: Part[], text: string, reasoning: boolean): Part[] {
  const last = parts[parts.length - 1];
  if (last && last.type === (reasoning ? "reasoning" : "text")) {
    return [...parts.slice(0, -1), { ...last, text: (last as { text: string }).text + text } as Part];
  }
  return [...parts, reasoning ? { type: "reasoning", text } : { type: "text", text }];
}

/** How much of a terminal's output a message keeps: its last 16 KiB of UTF-8, as the server. */
export const TERMINAL_EXCERPT_BYTES = 16 * 1024;

const utf8 = new TextEncoder();

/** The end of `text` that fits in `limit` UTF-8 bytes, cut at a character boundary. */
function lastBytes(text: string, limit: number): string {
  const bytes = utf8.encode(text);
  if (bytes.length <= limit) return text;
  let cut = bytes.length - limit;
  // Continuation bytes (10xxxxxx) are inside a character: move past them.
  while (cut < bytes.length && (bytes[cut] & 0xc0) === 0x80) cut += 1;
  return new TextDecoder().decode(bytes.subarray(cut));
}

type PartOf<T extends Part["type"]> = Extract<Part, { type: T }>;

function replaceAt(parts: Part[], index: number, part: Part): Part[] {
  const next = parts.slice();
  next[index] = part;
  return next;
}

/** The index of the terminal's part, and the parts with it added on its first output. */
function terminalPart(parts: Part[], terminalId: string): [Part[], number] {
  const index = parts.findLastIndex((p) => p.type === "terminal" && p.terminal_id === terminalId);
  if (index !== -1) return [parts, index];
  return [[...parts, { type: "terminal", terminal_id: terminalId, output: "", truncated: false }], parts.length];
}

/**
 * Applies one event to a message (pure): the TypeScript twin of `boocode_core::MessageBuilder`,
 * checked against it by the shared fixtures in `generated/fold-fixtures.json`.
 */
export function applyEvent(message: Message, event: AgentEvent): Message {
  let parts = message.parts;
  switch (event.type) {
    case "text_delta":
      parts = grow(parts, event.text, false);
      break;
    case "reasoning_delta":
      parts = grow(parts, event.text, true);
      break;
    case "tool_call_started":
      parts = [...parts, { type: "tool_call", id: event.call_id, name: event.name, arguments: "" }];
      break;
    case "tool_call_args_delta":
    case "tool_call_ready": {
      const i = parts.findLastIndex((p) => p.type === "tool_call" && p.id === event.call_id);
      if (i === -1) {
        if (event.type === "tool_call_ready") parts = [...parts, { type: "tool_call", id: event.call_id, name: event.name, arguments: event.arguments }];
        break;
      }
      const call = parts[i] as PartOf<"tool_call">;
      const args = event.type === "tool_call_ready" ? event.arguments : call.arguments + event.delta;
      parts = replaceAt(parts, i, { ...call, arguments: args });
      break;
    }
    case "tool_call_finished":
      parts = [...parts, { type: "tool_result", call_id: event.call_id, name: event.name, content: event.output, is_error: event.is_error, duration_ms: event.duration_ms }];
      break;
    case "permission_requested":
      parts = [...parts, { type: "permission", request_id: event.request_id, tool: event.tool, summary: event.summary }];
      break;
    case "permission_resolved": {
      const i = parts.findLastIndex((p) => p.type === "permission" && p.request_id === event.request_id);
      if (i === -1) return message;
      parts = replaceAt(parts, i, { ...(parts[i] as PartOf<"permission">), decision: event.decision });
      break;
    }
    case "notice":
      parts = [...parts, { type: "notice", level: event.level, message: event.message }];
      break;
    case "plan": {
      // A plan comes whole each time: the message keeps its latest, where it first appeared.
      const i = parts.findLastIndex((p) => p.type === "plan");
      const plan: Part = { type: "plan", entries: event.entries };
      parts = i === -1 ? [...parts, plan] : replaceAt(parts, i, plan);
      break;
    }
    case "terminal_output": {
      const [withTerminal, i] = terminalPart(parts, event.terminal_id);
      const terminal = withTerminal[i] as PartOf<"terminal">;
      const joined = terminal.output + event.data;
      const output = lastBytes(joined, TERMINAL_EXCERPT_BYTES);
      parts = replaceAt(withTerminal, i, { ...terminal, output, truncated: terminal.truncated || output !== joined });
      break;
    }
    case "terminal_screen": {
      const [withTerminal, i] = terminalPart(parts, event.terminal_id);
      const terminal = withTerminal[i] as PartOf<"terminal">;
      const output = lastBytes(event.screen, TERMINAL_EXCERPT_BYTES);
      parts = replaceAt(withTerminal, i, { ...terminal, output, truncated: output !== event.screen });
      break;
    }
    case "terminal_exited": {
      const [withTerminal, i] = terminalPart(parts, event.terminal_id);
      const terminal = withTerminal[i] as PartOf<"terminal">;
      const exited: PartOf<"terminal"> = { ...terminal };
      if (event.exit_code === null || event.exit_code === undefined) delete exited.exit_code;
      else exited.exit_code = event.exit_code;
      parts = replaceAt(withTerminal, i, exited);
      break;
    }
    case "turn_finished":
      return { ...message, usage: event.usage };
    default:
      return message;
  }
  return { ...message, parts };
}

function chatReducer(chat: ChatState, frame: SessionFrame, now: number): ChatState {
  switch (frame.type) {
    case "snapshot":
      return {
        ...chat,
        messages: upsert(chat.messages, frame.message),
        seqs: { ...chat.seqs, [frame.message.id]: frame.seq },
        status: chat.status === "idle" ? "streaming" : chat.status,
        streamStart: chat.streamStart ?? now,
      };
    case "message_created":
      return { ...chat, messages: upsert(chat.messages, frame.message), notices: frame.message.status === "streaming" ? [] : chat.notices };
    case "message_finished": {
      const seqs = { ...chat.seqs };
      delete seqs[frame.message.id];
      // What the finished message keeps as notice parts is shown there, not twice.
      const stored = new Set(frame.message.parts.flatMap((p) => (p.type === "notice" ? [p.message] : [])));
      const notices = chat.notices.filter((n) => !stored.has(n.text));
      return { ...chat, messages: upsert(chat.messages, frame.message), seqs, notices, streamStart: null, streamedChars: 0 };
    }
    case "event": {
      const last = chat.seqs[frame.message_id] ?? 0;
      if (frame.seq <= last) return chat; // already folded in (snapshot or duplicate)
      if (frame.seq > last + 1 && last > 0) return { ...chat, needsReload: true };
      const index = chat.messages.findIndex((m) => m.id === frame.message_id);
      if (index === -1) return { ...chat, needsReload: true };
      const message = applyEvent(chat.messages[index], frame.event);
      const messages = chat.messages.slice();
      messages[index] = message;
      const next: ChatState = { ...chat, messages, seqs: { ...chat.seqs, [frame.message_id]: frame.seq } };
      const e = frame.event;
      // The status, the same way for every backend (external agents report none of their own).
      if (e.type === "status") next.status = e.status;
      if (e.type === "permission_requested") next.status = "waiting_for_input";
      if (e.type === "permission_resolved") next.status = "streaming";
      if (e.type === "usage") next.usage = e.usage;
      if (e.type === "turn_started") {
        next.status = "streaming";
        next.notices = [];
        next.streamStart = now;
        next.streamedChars = 0;
      }
      if (e.type === "text_delta" || e.type === "reasoning_delta") next.streamedChars += e.text.length;
      // Notices are parts of the message (folded above); an early stop's summary arrives as
      // its sentinel message. A failure's reason shows here until the message keeps it.
      if (e.type === "turn_finished") {
        next.status = e.outcome === "error" ? "error" : "idle";
        next.usage = e.usage;
        if (e.outcome === "error" && e.summary) next.notices = [...next.notices, { level: "error", text: e.summary }];
      }
      return next;
    }
    default:
      return chat;
  }
}

export function reducer(state: SessionState, action: Action): SessionState {
  if (action.kind === "older") {
    const chat = state[action.chatId] ?? emptyChat();
    const known = new Set(chat.messages.map((m) => m.id));
    const earlier = action.messages.filter((m) => !known.has(m.id));
    return { ...state, [action.chatId]: { ...chat, messages: [...earlier, ...chat.messages], older: action.older } };
  }
  if (action.kind === "history") {
    const chat = state[action.chatId] ?? emptyChat();
    // A page read before a turn ended may arrive after its end did: a message the frames
    // finished stays finished.
    let messages = action.messages.map((m) => {
      const live = chat.messages.find((x) => x.id === m.id);
      return live && m.status === "streaming" && live.status !== "streaming" ? live : m;
    });
    // Keep live partials (from snapshots) that the page does not have yet.
    for (const m of chat.messages) if (!messages.some((x) => x.id === m.id) && m.status === "streaming") messages = [...messages, m];
    const streaming = messages.some((m) => m.status === "streaming");
    // Keep the older pages loaded before (a reload fetches the newest page only).
    const first = messages[0] ? chat.messages.findIndex((m) => m.id === messages[0].id) : -1;
    const kept = first > 0 ? chat.messages.slice(0, first) : [];
    const older = kept.length ? chat.older : (action.older ?? chat.older);
    return { ...state, [action.chatId]: { ...chat, messages: [...kept, ...messages], older, needsReload: false, status: action.running && streaming ? "streaming" : chat.status } };
  }
  const frame = action.frame;
  if (frame.type === "ready") return state;
  const chatId = frame.chat_id;
  return { ...state, [chatId]: chatReducer(state[chatId] ?? emptyChat(), frame, action.now ?? Date.now()) };
}

/** Characters per second of the running turn, a stand-in for tokens/s (about 4 chars a token). */
export function tokensPerSecond(chat: ChatState, now: number): number | null {
  if (chat.streamStart === null || now <= chat.streamStart) return null;
  return chat.streamedChars / 4 / ((now - chat.streamStart) / 1000);
}
