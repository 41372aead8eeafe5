// The four answers to a permission prompt, wherever it is shown (in the chat, in the inbox).
import type { PermissionDecision } from "../../generated/types";
import { useAnswer } from "./useInbox";

const ANSWERS: { decision: PermissionDecision; label: string; className: string }[] = [
  { decision: "allow_once", label: "Allow once", className: "btn primary" },
  { decision: "allow_session", label: "Allow for this session", className: "btn" },
  { decision: "deny", label: "Deny", className: "btn" },
  { decision: "deny_and_stop", label: "Deny and stop", className: "btn danger" },
];

export function PermissionActions({ requestId, what }: { requestId: string; what: string }) {
  const answer = useAnswer();
  return (
    <div className="mt-1.5 flex flex-wrap items-center gap-1.5" role="group" aria-label={`Answer: ${what}`}>
      {ANSWERS.map((a) => (
        <button key={a.decision} type="button" className={a.className} disabled={answer.isPending} onClick={() => answer.mutate({ requestId, decision: a.decision })}>
          {a.label}
        </button>
      ))}
      {answer.error && <span role="alert" className="text-xs text-err">{answer.error.message}</span>}
    </div>
  );
}
