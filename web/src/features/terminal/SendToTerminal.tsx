// "Send to terminal" on a chat's code blocks: with the user's confirmation, the code is typed at
// the prompt of one of the session's terminals — never run (the user presses Enter there).
import { AlertDialog } from "radix-ui";
import { createContext, useContext, useState } from "react";
import type { TerminalInfo } from "../../generated/types";
import { client } from "../../lib/api";

/** The session's terminals a code block may be sent to (live ones, newest first). */
export const TerminalTargets = createContext<TerminalInfo[]>([]);

export function SendToTerminal({ code }: { code: string }) {
  const targets = useContext(TerminalTargets);
  const [target, setTarget] = useState<string>("");
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState(false);
  if (targets.length === 0) return null;
  const chosen = targets.find((t) => t.id === target) ?? targets[0];
  const send = async () => {
    const { response } = await client.POST("/api/terminals/{id}/input", { params: { path: { id: chosen.id } }, body: { text: code } });
    if (response.ok) {
      setSent(true);
      setError(null);
    } else setError(`The terminal refused it (${response.status}).`);
  };
  return (
    <AlertDialog.Root onOpenChange={() => setSent(false)}>
      <AlertDialog.Trigger asChild>
        <button type="button" className="btn text-xs">Send to terminal</button>
      </AlertDialog.Trigger>
      <AlertDialog.Portal>
        <AlertDialog.Overlay className="fixed inset-0 z-40 bg-black/50" />
        <AlertDialog.Content className="fixed left-1/2 top-[12vh] z-50 w-[min(94vw,640px)] -translate-x-1/2 rounded-lg border border-line bg-panel p-4 shadow-xl">
          <AlertDialog.Title className="text-base font-semibold">Send this to a terminal?</AlertDialog.Title>
          <AlertDialog.Description className="my-2 text-sm text-muted">It is typed at the prompt; nothing runs until you press Enter there.</AlertDialog.Description>
          <pre className="max-h-64 overflow-auto rounded bg-field p-2 text-xs" tabIndex={0}>{code}</pre>
          {targets.length > 1 && (
            <label className="mt-2 flex flex-col gap-1 text-sm">
              Terminal
              <select className="field" value={chosen.id} onChange={(e) => setTarget(e.target.value)}>
                {targets.map((t) => (
                  <option key={t.id} value={t.id}>{t.title}{t.cwd ? ` · ${t.cwd}` : ""}</option>
                ))}
              </select>
            </label>
          )}
          {error && <p role="alert" className="notice error mt-2">{error}</p>}
          {sent && <p role="status" className="mt-2 text-sm text-ok">Typed into {chosen.title}.</p>}
          <div className="mt-3 flex justify-end gap-2">
            <AlertDialog.Cancel asChild>
              <button className="btn">{sent ? "Close" : "Cancel"}</button>
            </AlertDialog.Cancel>
            {!sent && (
              <button className="btn primary" onClick={() => void send()}>
                Send to {chosen.title}
              </button>
            )}
          </div>
        </AlertDialog.Content>
      </AlertDialog.Portal>
    </AlertDialog.Root>
  );
}
