// "Start an arena": one prompt to several contenders (a provider, optionally with a model),
// each in its own worktree, with an optional verify command whose exit code scores them.
import { Dialog } from "radix-ui";
import { useState } from "react";
import type { Arena, NewArena, NewContender } from "../../generated/types";
import { client, unwrapAs } from "../../lib/api";
import { useProviders } from "../../lib/queries";

const MAX = 8;

export function ArenaDialog({ sessionId, open, onOpenChange, prompt: initial, onStarted }: { sessionId: string; open: boolean; onOpenChange: (open: boolean) => void; prompt: string; onStarted: (arena: Arena) => void }) {
  const providers = useProviders();
  const names = (providers.data ?? []).filter((p) => p.state !== "disabled").map((p) => p.name);
  const [prompt, setPrompt] = useState(initial);
  const [contenders, setContenders] = useState<NewContender[]>([
    { provider: "boocode", model: null },
    { provider: "boocode", model: null },
  ]);
  const [verify, setVerify] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (i: number, c: Partial<NewContender>) => setContenders((cs) => cs.map((x, j) => (j === i ? { ...x, ...c } : x)));
  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      const body: NewArena = { prompt, contenders: contenders.map((c) => ({ provider: c.provider, model: c.model?.trim() ? c.model.trim() : null })), verify: verify.trim() || null, include_uncommitted: false };
      const arena = await unwrapAs<Arena>(client.POST("/api/sessions/{id}/arenas", { params: { path: { id: sessionId } }, body }));
      onStarted(arena);
      onOpenChange(false);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog.Root open={open} onOpenChange={onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="fixed inset-0 z-40 bg-black/50" />
        <Dialog.Content className="fixed left-1/2 top-[8vh] z-50 max-h-[84vh] w-[min(94vw,640px)] -translate-x-1/2 overflow-auto rounded-lg border border-line bg-panel p-4 shadow-xl">
          <Dialog.Title className="text-base font-semibold">Start an arena</Dialog.Title>
          <Dialog.Description className="my-2 text-sm text-muted">Every contender gets the prompt at once, in its own worktree; the main tree changes only when you pick one.</Dialog.Description>
          <label className="flex flex-col gap-1 text-sm">
            Prompt
            <textarea className="field min-h-20" value={prompt} onChange={(e) => setPrompt(e.target.value)} />
          </label>
          <fieldset className="mt-3 flex flex-col gap-2">
            <legend className="mb-1 text-sm font-semibold">Contenders</legend>
            {contenders.map((c, i) => (
              <div key={i} className="flex gap-2" role="group" aria-label={`Contender ${i + 1}`}>
                <select className="field" aria-label={`Contender ${i + 1} provider`} value={c.provider} onChange={(e) => set(i, { provider: e.target.value })}>
                  {(names.includes(c.provider) ? names : [c.provider, ...names]).map((n) => (
                    <option key={n} value={n}>{n}</option>
                  ))}
                </select>
                <input className="field min-w-0 flex-1" aria-label={`Contender ${i + 1} model`} placeholder="default model" value={c.model ?? ""} onChange={(e) => set(i, { model: e.target.value })} />
                <button type="button" className="btn" aria-label={`Remove contender ${i + 1}`} disabled={contenders.length <= 2} onClick={() => setContenders((cs) => cs.filter((_, j) => j !== i))}>×</button>
              </div>
            ))}
            <button type="button" className="btn self-start" disabled={contenders.length >= MAX} onClick={() => setContenders((cs) => [...cs, { provider: "boocode", model: null }])}>Add contender</button>
          </fieldset>
          <label className="mt-3 flex flex-col gap-1 text-sm">
            Verify command (optional; its exit code is the score)
            <input className="field" placeholder="cargo test" value={verify} onChange={(e) => setVerify(e.target.value)} />
          </label>
          {error && <p role="alert" className="notice error mt-2">{error}</p>}
          <div className="mt-4 flex justify-end gap-2">
            <Dialog.Close asChild>
              <button className="btn">Cancel</button>
            </Dialog.Close>
            <button className="btn primary" disabled={busy || !prompt.trim()} onClick={() => void start()}>Start arena</button>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
