import { describe, expect, it } from "vitest";
import type { AgentEvent, Message, SessionFrame } from "../../generated/types";
import { emptyChat, reducer, type SessionState } from "./reducer";

const chat = "c1";
const mid = "m-assistant";

function assistant(parts: Message["parts"] = [], status: Message["status"] = "streaming"): Message {
  return { id: mid, role: "assistant", status, kind: "regular", parts, created_at: 1 };
}

const user: Message = { id: "m-user", role: "user", status: "complete", kind: "regular", parts: [{ type: "text", text: "where is main?" }], created_at: 0 };

const events: AgentEvent[] = [
  { type: "turn_started", message_id: mid },
  { type: "reasoning_delta", text: "Let me " },
  { type: "reasoning_delta", text: "look." },
  { type: "text_delta", text: "Search" },
  { type: "text_delta", text: "ing." },
  { type: "tool_call_started", call_id: "t1", name: "grep" },
  { type: "tool_call_args_delta", call_id: "t1", delta: "{\"pattern\":" },
  { type: "tool_call_args_delta", call_id: "t1", delta: "\"fn main\"}" },
  { type: "tool_call_ready", call_id: "t1", name: "grep", arguments: "{\"pattern\":\"fn main\"}" },
  { type: "tool_call_finished", call_id: "t1", name: "grep", output: "src/main.rs:1:fn main()", is_error: false, duration_ms: 3, output_bytes: 23 },
  { type: "text_delta", text: "In src/main.rs." },
  { type: "usage", usage: { prompt_tokens: 10, completion_tokens: 5, ctx_used: 15, ctx_max: 100 } },
  { type: "turn_finished", outcome: "completed", summary: null, usage: { prompt_tokens: 10, completion_tokens: 5, ctx_used: 15, ctx_max: 100 } },
];

const frames = (from: number, to: number): SessionFrame[] =>
  events.slice(from - 1, to).map((event, i) => ({ type: "event", chat_id: chat, message_id: mid, seq: from + i, event }));

function run(state: SessionState, list: SessionFrame[]): SessionState {
  return list.reduce((s, frame) => reducer(s, { kind: "frame", frame, now: 1000 }), state);
}

const expectedParts: Message["parts"] = [
  { type: "reasoning", text: "Let me look." },
  { type: "text", text: "Searching." },
  { type: "tool_call", id: "t1", name: "grep", arguments: "{\"pattern\":\"fn main\"}" },
  { type: "tool_result", call_id: "t1", name: "grep", content: "src/main.rs:1:fn main()", is_error: false, duration_ms: 3 },
  { type: "text", text: "In src/main.rs." },
];

describe("the frame reducer", () => {
  it("builds the message list from a live event sequence", () => {
    let state = run({}, [
      { type: "ready", session_id: "s" },
      { type: "message_created", chat_id: chat, message: user },
      { type: "message_created", chat_id: chat, message: assistant() },
    ]);
    state = run(state, frames(1, events.length));
    const c = state[chat];
    expect(c.messages.map((m) => m.id)).toEqual(["m-user", mid]);
    expect(c.messages[1].parts).toEqual(expectedParts);
    expect(c.usage?.ctx_used).toBe(15);
    expect(c.needsReload).toBe(false);
    state = run(state, [{ type: "message_finished", chat_id: chat, message: assistant(expectedParts, "complete") }]);
    expect(state[chat].messages[1].status).toBe("complete");
    expect(state[chat].seqs[mid]).toBeUndefined();
  });

  it("a reconnect replay (history, snapshot, overlapping live frames) gives the same list", () => {
    // Before the drop: frames 1..5.
    let before = run({}, [{ type: "message_created", chat_id: chat, message: user }, { type: "message_created", chat_id: chat, message: assistant() }]);
    before = run(before, frames(1, 5));
    // After reconnecting: the page of history (still streaming, flushed up to frame 4), then a
    // snapshot at seq 7, then live frames 6..end (6 and 7 arrive again and must be dropped).
    const partialAt7 = frames(1, 7).reduce((m, f) => (f.type === "event" ? applyEventForTest(m, f.event) : m), assistant());
    let after: SessionState = { [chat]: before[chat] };
    after = reducer(after, { kind: "history", chatId: chat, messages: [user, { ...assistant(), parts: [{ type: "text", text: "Sear" }] }], running: true });
    after = run(after, [{ type: "snapshot", chat_id: chat, message: partialAt7, seq: 7 }]);
    after = run(after, frames(6, events.length));
    const fresh = run(run({}, [{ type: "message_created", chat_id: chat, message: user }, { type: "message_created", chat_id: chat, message: assistant() }]), frames(1, events.length));
    expect(after[chat].messages).toEqual(fresh[chat].messages);
    expect(after[chat].messages[1].parts).toEqual(expectedParts);
    expect(after[chat].needsReload).toBe(false);
  });

  it("an agent's turn, which reports no status of its own, still moves the chat's status", () => {
    let state = run({}, [{ type: "message_created", chat_id: chat, message: assistant() }]);
    const agent: AgentEvent[] = [
      { type: "turn_started", message_id: mid },
      { type: "permission_requested", request_id: "p1", call_id: null, tool: "Bash", summary: "ls", options: ["allow_once", "deny"] },
    ];
    const statuses: string[] = [];
    const more: AgentEvent[] = [
      { type: "permission_resolved", request_id: "p1", decision: "deny" },
      { type: "turn_finished", outcome: "completed", summary: null, usage: { prompt_tokens: 0, completion_tokens: 0, ctx_used: 0 } },
    ];
    [...agent, ...more].forEach((event, i) => {
      state = run(state, [{ type: "event", chat_id: chat, message_id: mid, seq: i + 1, event }]);
      statuses.push(state[chat].status);
    });
    expect(statuses).toEqual(["streaming", "waiting_for_input", "streaming", "idle"]);
    state = run(state, [{ type: "event", chat_id: chat, message_id: mid, seq: 5, event: { type: "turn_finished", outcome: "error", summary: "gone", usage: { prompt_tokens: 0, completion_tokens: 0, ctx_used: 0 } } }]);
    expect(state[chat].status).toBe("error");
  });

  it("older pages go before the loaded ones, and a reload of the newest page keeps them", () => {
    const msg = (id: string): Message => ({ id, role: "user", status: "complete", kind: "regular", parts: [{ type: "text", text: id }], created_at: 0 });
    let state = reducer({}, { kind: "history", chatId: chat, messages: [msg("c"), msg("d")], running: false, older: 2 });
    expect(state[chat].older).toBe(2);
    state = reducer(state, { kind: "older", chatId: chat, messages: [msg("a"), msg("b")], older: null });
    expect(state[chat].messages.map((m) => m.id)).toEqual(["a", "b", "c", "d"]);
    expect(state[chat].older).toBeNull();
    // A gap reloads the newest page: the older ones stay, and so does "nothing older".
    state = reducer(state, { kind: "history", chatId: chat, messages: [msg("c"), msg("d"), msg("e")], running: false, older: 2 });
    expect(state[chat].messages.map((m) => m.id)).toEqual(["a", "b", "c", "d", "e"]);
    expect(state[chat].older).toBeNull();
  });

  it("a gap in the sequence asks for a reload instead of guessing", () => {
    let state = run({}, [{ type: "message_created", chat_id: chat, message: assistant() }]);
    state = run(state, frames(1, 3));
    state = run(state, frames(6, 6));
    expect(state[chat].needsReload).toBe(true);
  });

  it("notices are parts of the message; a failure's reason shows until the message keeps it", () => {
    let state = run({}, [{ type: "message_created", chat_id: chat, message: assistant() }]);
    const failed: SessionFrame[] = [
      { type: "event", chat_id: chat, message_id: mid, seq: 1, event: { type: "notice", level: "warning", message: "Ignored 1 tool call" } },
      { type: "event", chat_id: chat, message_id: mid, seq: 2, event: { type: "turn_finished", outcome: "error", summary: "the model went away", usage: { prompt_tokens: 0, completion_tokens: 0, ctx_used: 0 } } },
    ];
    state = run(state, failed);
    expect(state[chat].messages[0].parts).toEqual([{ type: "notice", level: "warning", message: "Ignored 1 tool call" }]);
    expect(state[chat].notices).toEqual([{ level: "error", text: "the model went away" }]);
    // Once the message keeps the reason as a part, it is shown there only.
    const finished = { ...assistant(), status: "failed" as const, parts: [{ type: "notice" as const, level: "error" as const, message: "the model went away" }] };
    state = run(state, [{ type: "message_finished", chat_id: chat, message: finished }]);
    expect(state[chat].notices).toEqual([]);
    expect(emptyChat().messages).toEqual([]);
  });
});

import { applyEvent } from "./reducer";
function applyEventForTest(m: Message, e: AgentEvent): Message {
  return applyEvent(m, e);
}

describe("a history page that arrives late", () => {
  it("never turns a message the frames finished back into a streaming one", () => {
    let state: SessionState = {};
    state = run(state, [{ type: "message_created", chat_id: chat, message: user }, ...frames(1, 13)]);
    state = run(state, [{ type: "message_finished", chat_id: chat, message: assistant(expectedParts, "complete") }]);
    // The page was read while the turn still ran.
    state = reducer(state, { kind: "history", chatId: chat, messages: [user, assistant([{ type: "text", text: "Sea" }])], running: true });
    const c = state[chat];
    expect(c.messages.map((m) => m.status)).toEqual(["complete", "complete"]);
    expect(c.messages[1].parts).toEqual(expectedParts);
    expect(c.status).not.toBe("streaming");
  });
});
