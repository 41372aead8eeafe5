import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useRef, useState } from "react";
import { post } from "../api";
import type { ChatState } from "../state/reducer";
import { tokensPerSecond } from "../state/reducer";
import { MessageView, type Artifact } from "./MessageView";

interface Props {
  chatId: string;
  chat: ChatState;
  draft: string;
  setDraft: (text: string) => void;
  onArtifact: (a: Artifact) => void;
}

function StatusBar({ chat }: { chat: ChatState }) {
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
    <div className="status-bar">
      <span className={`status-dot ${chat.status}`} data-testid="status-dot" title={chat.status} />
      <span className="status-text">{chat.status.replace("_", " ")}</span>
      {rate !== null && <span className="rate" data-testid="tokens-per-second">{rate.toFixed(1)} tok/s</span>}
      {max !== null && (
        <span className="context-meter" title={`context ${used} / ${max}`} data-testid="context-meter">
          <span className="context-fill" style={{ width: `${share * 100}%` }} />
          <span className="context-label">{Math.round(share * 100)}% context</span>
        </span>
      )}
    </div>
  );
}

export function ChatPane({ chatId, chat, draft, setDraft, onArtifact }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
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
  useEffect(() => {
    if (stickToBottom.current && list.length) virtualizer.scrollToIndex(list.length - 1, { align: "end" });
  }, [list.length, lastLen, virtualizer]);

  const running = chat.streamStart !== null || list.some((m) => m.status === "streaming");
  const send = async (text: string) => {
    if (!text.trim()) return;
    setError(null);
    try {
      await post(`/api/chats/${chatId}/messages`, { text });
      setDraft("");
      stickToBottom.current = true;
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const lastUser = [...list].reverse().find((m) => m.role === "user" && m.kind === "regular");
  const lastText = lastUser?.parts.map((p) => (p.type === "text" ? p.text : "")).join("") ?? "";

  return (
    <div className="chat-pane" data-testid="chat-pane">
      <StatusBar chat={chat} />
      <div
        className="messages"
        ref={scroller}
        onScroll={(e) => {
          const el = e.currentTarget;
          stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
        }}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((item) => (
            <div key={item.key} data-index={item.index} ref={virtualizer.measureElement} className="message-row" style={{ position: "absolute", top: 0, left: 0, right: 0, transform: `translateY(${item.start}px)` }}>
              <MessageView message={list[item.index]} onArtifact={onArtifact} />
            </div>
          ))}
        </div>
      </div>
      {chat.notices.map((n, i) => (
        <div key={i} className={`notice ${n.level}`} data-testid="notice">{n.text}</div>
      ))}
      {error && <div className="notice error" data-testid="send-error">{error}</div>}
      <form
        className="composer"
        onSubmit={(e) => {
          e.preventDefault();
          void send(draft);
        }}
      >
        <textarea
          data-testid="composer"
          value={draft}
          placeholder="Ask about this project…"
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey) {
              e.preventDefault();
              void send(draft);
            }
          }}
        />
        <div className="composer-actions">
          {running ? (
            <button type="button" className="stop" data-testid="stop" onClick={() => void post(`/api/chats/${chatId}/stop`)}>Stop</button>
          ) : (
            <>
              {lastText && <button type="button" data-testid="retry" onClick={() => void send(lastText)}>Retry</button>}
              {list.length > 0 && <button type="button" data-testid="continue" onClick={() => void send("Continue.")}>Continue</button>}
              <button type="submit" className="send" data-testid="send" disabled={!draft.trim()}>Send</button>
            </>
          )}
        </div>
      </form>
    </div>
  );
}
