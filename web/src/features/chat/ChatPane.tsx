// One chat: its messages (virtualised), its status, and the composer.
import { useMutation } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useRef, useState } from "react";
import { client, unwrap } from "../../lib/api";
import { useSkills } from "../../lib/queries";
import type { Chat } from "../../generated/types";
import { QueuedMessages } from "../queue/QueuedMessages";
import { useChanges } from "../review/useChanges";
import { Composer } from "../composer/Composer";
import { attachMentions } from "../composer/mentions";
import { Lineage } from "../delegation/Lineage";
import { ChatSettings } from "./ChatSettings";
import { MessageView, type Artifact } from "./MessageView";
import type { ChatState } from "./reducer";
import { tokensPerSecond } from "./reducer";
import { StatusDot } from "./StatusDot";

interface Props {
  chatId: string;
  /** The project the chat works on (for `@file` completion and attachments). */
  projectId: string;
  /** The chat's stored settings (provider, mode, model, thinking), once loaded. */
  settings: Chat | undefined;
  chat: ChatState;
  draft: string;
  setDraft: (text: string) => void;
  onArtifact: (a: Artifact) => void;
  /** Opens the chat's pending changes for review. */
  onReview: () => void;
  /** Loads the messages before the oldest one shown. */
  onOlder: () => Promise<void>;
  /** Opens the arena dialog with this chat's draft as its prompt. */
  onArena?: () => void;
}

function StatusBar({ chat, chatId, onReview }: { chat: ChatState; chatId: string; onReview: () => void }) {
  const changes = useChanges(chatId);
  const pending = (changes.data ?? []).filter((c) => c.state === "pending").length;
  const [now, setNow] = useState(Date.now());
  const running = chat.streamStart !== null;
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [running]);
  const rate = tokensPerSecond(chat, now);
  const used = chat.usage?.ctx_used ?? 0;
  const max = chat.usage?.ctx_max ?? null;
  const share = max ? Math.min(1, used / max) : 0;
  return (
    <div className="flex items-center gap-3 border-b border-line px-3 py-1.5 text-xs text-muted">
      <StatusDot status={chat.status} />
      <span>{chat.status.replace(/_/g, " ")}</span>
      {rate !== null && <span data-testid="tokens-per-second">{rate.toFixed(1)} tok/s</span>}
      {max !== null && (
        <span className="relative ml-auto h-4 w-32 overflow-hidden rounded bg-hover" role="meter" aria-label="Context used" aria-valuemin={0} aria-valuemax={max} aria-valuenow={used} data-testid="context-meter">
          <span className="absolute inset-y-0 left-0 bg-accent/40" style={{ width: `${share * 100}%` }} />
          <span className="relative px-1">{Math.round(share * 100)}% context</span>
        </span>
      )}
      {(changes.data?.length ?? 0) > 0 && (
        <button className={`btn ${max === null ? "ml-auto" : ""}`} onClick={onReview}>
          {pending ? `Review ${pending} change${pending === 1 ? "" : "s"}` : "Changes"}
        </button>
      )}
    </div>
  );
}

export function ChatPane({ chatId, projectId, settings, chat, draft, setDraft, onArtifact, onReview, onOlder, onArena }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);
  const list = chat.messages;
  const virtualizer = useVirtualizer({
    count: list.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 120,
    overscan: 6,
    getItemKey: (i) => list[i]?.id ?? i,
  });
  const lastLen = list.length ? JSON.stringify(list[list.length - 1].parts).length : 0;
  // Where the reader was (the first message in view, unless at the bottom) survives a reload
  // of this tab: restored once, when the messages first arrive.
  const place = `boocode-scroll:${chatId}`;
  const restored = useRef(false);
  const savedPlace = useRef<string | null>(sessionStorage.getItem(place));
  useEffect(() => {
    if (restored.current || !list.length) return;
    restored.current = true;
    const saved = sessionStorage.getItem(place);
    const index = saved ? list.findIndex((m) => m.id === saved) : -1;
    if (index >= 0) {
      stickToBottom.current = false;
      virtualizer.scrollToIndex(index, { align: "start" });
      // Measured sizes replace estimates as items render: aim again once they have.
      requestAnimationFrame(() => virtualizer.scrollToIndex(index, { align: "start" }));
    }
  }, [list, place, virtualizer]);
  useEffect(() => {
    if (stickToBottom.current && list.length) virtualizer.scrollToIndex(list.length - 1, { align: "end" });
  }, [list.length, lastLen, virtualizer]);

  const send = useMutation({
    mutationFn: ({ text, steer }: { text: string; steer?: boolean }) =>
      unwrap(client.POST("/api/chats/{id}/messages", { params: { path: { id: chatId } }, body: { text, steer: steer ?? false } })),
    onSuccess: () => {
      stickToBottom.current = true;
    },
  });
  const stop = useMutation({
    mutationFn: () => unwrap(client.POST("/api/chats/{id}/stop", { params: { path: { id: chatId } } })),
  });
  /** Sends `text`: a turn starts, or, while one runs, it waits in the queue (or, `steer`, joins it). */
  const submit = (text: string, steer = false) => {
    if (!text.trim()) return;
    // Cleared at once, so the next message can be typed while this one is sent; put back if
    // the server refuses it.
    const fromDraft = text === draft;
    if (fromDraft) setDraft("");
    const read = async (path: string) => {
      const { data } = await client.GET("/api/projects/{id}/file", { params: { path: { id: projectId }, query: { path } } });
      return data && !data.binary ? (data.text ?? null) : null;
    };
    void attachMentions(text, read).then((full) => send.mutate({ text: full, steer }, { onError: () => fromDraft && setDraft(text) }));
  };
  const native = (settings?.provider ?? "boocode") === "boocode";
  const skills = useSkills(native ? projectId : undefined);

  const running = chat.streamStart !== null || list.some((m) => m.status === "streaming");
  const lastUser = [...list].reverse().find((m) => m.role === "user" && m.kind === "regular");
  const lastText = lastUser?.parts.map((p) => (p.type === "text" ? p.text : "")).join("") ?? "";

  return (
    <div className="flex min-h-0 flex-1 flex-col" data-testid="chat-pane">
      <StatusBar chat={chat} chatId={chatId} onReview={onReview} />
      <Lineage chatId={chatId} />
      <div
        className="min-h-0 flex-1 overflow-auto px-3"
        ref={scroller}
        role="log"
        aria-label="Messages"
        onScroll={(e) => {
          const el = e.currentTarget;
          stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
          if (!restored.current) return;
          // Measured (or estimated) offsets of every message, not only the rendered ones.
          const first = virtualizer.getVirtualItemForOffset(el.scrollTop);
          const id = first ? list[first.index]?.id : undefined;
          // Written when the first message in view changes, not on every scroll event.
          const next = stickToBottom.current || !id ? null : id;
          if (next === savedPlace.current) return;
          savedPlace.current = next;
          if (next === null) sessionStorage.removeItem(place);
          else sessionStorage.setItem(place, next);
        }}
      >
        {chat.older !== null && (
          <div className="flex justify-center pt-2">
            <button
              className="btn"
              onClick={() => {
                stickToBottom.current = false;
                void onOlder();
              }}
            >
              Load earlier messages
            </button>
          </div>
        )}
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((item) => (
            <div key={item.key} data-index={item.index} ref={virtualizer.measureElement} className="absolute inset-x-0 top-0 py-2" style={{ transform: `translateY(${item.start}px)` }}>
              <MessageView message={list[item.index]} onArtifact={onArtifact} />
            </div>
          ))}
        </div>
      </div>
      {chat.notices.map((n, i) => (
        <div key={i} className={`notice ${n.level} mx-3`} role="status" data-testid="notice">{n.text}</div>
      ))}
      {(send.error ?? stop.error) && (
        <div className="notice error mx-3" role="alert" data-testid="send-error">
          {(send.error ?? stop.error)?.message}
        </div>
      )}
      <div className="border-t border-line">
      <QueuedMessages chatId={chatId} />
      {settings && <ChatSettings chat={settings} />}
      <Composer
        draft={draft}
        setDraft={setDraft}
        running={running}
        native={native}
        lastText={lastText}
        hasMessages={list.length > 0}
        pending={send.isPending}
        onSubmit={submit}
        onStop={() => stop.mutate()}
        onArena={onArena}
        skills={native ? (skills.data?.skills ?? []) : []}
        findPaths={(q) => unwrap(client.GET("/api/projects/{id}/paths", { params: { path: { id: projectId }, query: { q } } }))}
      />
      </div>
    </div>
  );
}
