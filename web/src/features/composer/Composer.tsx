// The message box: Enter sends (Shift+Enter for a new line); while a turn runs a message is
// queued (or, on BooCode's own loop, steers the turn); `@` completes project file paths (the
// files mentioned are attached when the message is sent) and `$` the skills the chat may load.
import { useQuery } from "@tanstack/react-query";
import { useId, useRef, useState } from "react";
import { completeMention, matchSkills, mentionAt, type Trigger } from "./mentions";

/** A skill `$` completion offers. */
export interface SkillOption {
  name: string;
  description: string;
}

export interface ComposerProps {
  draft: string;
  setDraft: (text: string) => void;
  /** A turn is running: Send becomes Queue, Stop and (native) Steer appear. */
  running: boolean;
  /** The chat runs on BooCode's own loop (steering is possible). */
  native: boolean;
  /** The last message the user sent, for Retry. */
  lastText: string;
  /** The chat has messages (Continue is offered). */
  hasMessages: boolean;
  /** A send is in flight. */
  pending: boolean;
  onSubmit: (text: string, steer?: boolean) => void;
  onStop: () => void;
  /** Project files whose path contains the query, best first. */
  findPaths: (query: string) => Promise<string[]>;
  /** Sends the draft to an arena of several agents instead (when the workspace offers one). */
  onArena?: () => void;
  /** The skills `$name` may load (BooCode's own loop). */
  skills?: SkillOption[];
}

export function Composer({ draft, setDraft, running, native, lastText, hasMessages, pending, onSubmit, onStop, findPaths, onArena, skills = [] }: ComposerProps) {
  const box = useRef<HTMLTextAreaElement>(null);
  const listId = useId();
  const [mention, setMention] = useState<{ start: number; query: string; trigger: Trigger } | null>(null);
  const [active, setActive] = useState(0);
  const paths = useQuery({
    queryKey: ["mention-paths", mention?.query ?? ""],
    queryFn: () => findPaths(mention?.query ?? ""),
    enabled: mention?.trigger === "@",
    staleTime: 10_000,
  });
  const skillHits = mention?.trigger === "$" ? matchSkills(skills, mention.query) : [];
  const options: { value: string; detail?: string }[] =
    mention?.trigger === "$"
      ? skillHits.map((s) => ({ value: s.name, detail: s.description }))
      : mention
        ? (paths.data ?? []).slice(0, 8).map((p) => ({ value: p }))
        : [];
  const open = mention !== null && options.length > 0;

  const track = (text: string, caret: number) => {
    const found = mentionAt(text, caret);
    setMention(found);
    if (found?.query !== mention?.query) setActive(0);
  };
  const pick = (path: string) => {
    const el = box.current;
    if (!mention || !el) return;
    const done = completeMention(draft, mention.start, el.selectionStart, path, mention.trigger);
    setDraft(done.text);
    setMention(null);
    requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(done.caret, done.caret);
    });
  };

  return (
    <form
      className="flex gap-2 p-3 max-md:flex-col"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(draft);
      }}
    >
      <div className="relative flex min-w-0 flex-1">
        <textarea
          ref={box}
          className="field min-h-16 flex-1 resize-y"
          aria-label="Message"
          aria-describedby={`${listId}-hint`}
          aria-controls={open ? listId : undefined}
          aria-activedescendant={open ? `${listId}-${active}` : undefined}
          data-testid="composer"
          value={draft}
          placeholder={skills.length ? "Ask about this project… (@ to mention a file, $ for a skill)" : "Ask about this project… (@ to mention a file)"}
          onChange={(e) => {
            setDraft(e.target.value);
            track(e.target.value, e.target.selectionStart);
          }}
          onClick={(e) => track(e.currentTarget.value, e.currentTarget.selectionStart)}
          onBlur={() => setTimeout(() => setMention(null), 150)}
          onKeyDown={(e) => {
            if (open) {
              if (e.key === "ArrowDown" || e.key === "ArrowUp") {
                e.preventDefault();
                const step = e.key === "ArrowDown" ? 1 : -1;
                setActive((a) => (a + step + options.length) % options.length);
                return;
              }
              if (e.key === "Enter" || e.key === "Tab") {
                e.preventDefault();
                pick(options[Math.min(active, options.length - 1)].value);
                return;
              }
              if (e.key === "Escape") {
                e.preventDefault();
                setMention(null);
                return;
              }
            }
            if (e.key === "Enter" && !e.shiftKey) {
              e.preventDefault();
              onSubmit(draft);
            }
          }}
        />
        <span id={`${listId}-hint`} className="sr-only">Enter sends, Shift+Enter starts a new line, @ completes a file path, $ a skill.</span>
        {open && (
          <ul id={listId} role="listbox" aria-label={mention?.trigger === "$" ? "Skills" : "Files"} className="menu absolute bottom-full left-0 z-20 mb-1 max-h-64 w-full max-w-lg overflow-auto">
            {options.map((option, i) => (
              <li
                key={option.value}
                id={`${listId}-${i}`}
                role="option"
                aria-selected={i === active}
                className={`menu-item text-xs ${option.detail ? "" : "font-mono"} ${i === active ? "bg-selected" : ""}`}
                onMouseDown={(e) => {
                  e.preventDefault();
                  pick(option.value);
                }}
              >
                {option.detail ? (
                  <span className="flex flex-col">
                    <span className="font-mono">${option.value}</span>
                    <span className="truncate text-muted">{option.detail}</span>
                  </span>
                ) : (
                  option.value
                )}
              </li>
            ))}
          </ul>
        )}
      </div>
      <div className="flex gap-2 md:flex-col">
        {running ? (
          <>
            <button type="submit" className="btn primary" disabled={!draft.trim() || pending} title="Runs after the current turn">Queue</button>
            {native && (
              <button type="button" className="btn" disabled={!draft.trim() || pending} onClick={() => onSubmit(draft, true)} title="Joins the running turn at its next step">
                Steer
              </button>
            )}
            <button type="button" className="btn danger" data-testid="stop" onClick={onStop}>Stop</button>
          </>
        ) : (
          <>
            {lastText && <button type="button" className="btn" data-testid="retry" onClick={() => onSubmit(lastText)}>Retry</button>}
            {hasMessages && <button type="button" className="btn" data-testid="continue" onClick={() => onSubmit("Continue.")}>Continue</button>}
            {onArena && (
              <button type="button" className="btn" disabled={!draft.trim()} onClick={onArena} aria-label="Arena: send to several agents" title="Run this prompt through several agents side by side">
                Arena
              </button>
            )}
            <button type="submit" className="btn primary" data-testid="send" disabled={!draft.trim() || pending}>Send</button>
          </>
        )}
      </div>
    </form>
  );
}
