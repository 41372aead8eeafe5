// The four answers to a permission prompt, wherever it is shown (in the chat, in the inbox).
// With focus in the card, keys answer it: Y or 1 allow once, S or 2 allow for the session,
// N or 3 deny, X or 4 deny and stop. Alt+Y and Alt+N answer the oldest waiting prompt from
// anywhere (see the command palette).
import type { PermissionDecision } from "../../generated/types";
import { useAnswer } from "./useInbox";

export const ANSWERS: { decision: PermissionDecision; label: string; keys: string[]; className: string }[] = [
  { decision: "allow_once", label: "Allow once", keys: ["y", "1"], className: "btn primary" },
  { decision: "allow_session", label: "Allow for this session", keys: ["s", "2"], className: "btn" },
  { decision: "deny", label: "Deny", keys: ["n", "3"], className: "btn" },
  { decision: "deny_and_stop", label: "Deny and stop", keys: ["x", "4"], className: "btn danger" },
];

/** The decision a key press in a prompt card means, if any. */
export function decisionForKey(key: string): PermissionDecision | null {
  const k = key.toLowerCase();
  return ANSWERS.find((a) => a.keys.includes(k))?.decision ?? null;
}

export function PermissionButtons({ what, pending, error, onAnswer }: { what: string; pending: boolean; error: string | null; onAnswer: (decision: PermissionDecision) => void }) {
  return (
    <div
      className="mt-1.5 flex flex-wrap items-center gap-1.5"
      role="group"
      aria-label={`Answer: ${what}`}
      onKeyDown={(e) => {
        if (e.altKey || e.ctrlKey || e.metaKey || pending) return;
        const decision = decisionForKey(e.key);
        if (decision) {
          e.preventDefault();
          onAnswer(decision);
        }
      }}
    >
      {ANSWERS.map((a) => (
        <button key={a.decision} type="button" className={a.className} disabled={pending} aria-keyshortcuts={a.keys.map((k) => k.toUpperCase()).join(" ")} title={`${a.label} (${a.keys[0].toUpperCase()})`} onClick={() => onAnswer(a.decision)}>
          {a.label}
        </button>
      ))}
      {error && <span role="alert" className="text-xs text-err">{error}</span>}
    </div>
  );
}

export function PermissionActions({ requestId, what }: { requestId: string; what: string }) {
  const answer = useAnswer();
  return <PermissionButtons what={what} pending={answer.isPending} error={answer.error?.message ?? null} onAnswer={(decision) => answer.mutate({ requestId, decision })} />;
}
