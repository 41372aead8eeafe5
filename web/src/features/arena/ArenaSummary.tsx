// An arena's summary: each contender's outcome, verify result, files and lines changed, tokens
// and time, the files every contender changed, and a button to pick a finished one (its diff
// then waits for review on the main tree).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { Arena } from "../../generated/types";
import { client, unwrapAs } from "../../lib/api";

export const arenaKey = (id: string) => ["arenas", id] as const;

export function ArenaSummary({ arenaId, onPicked, onRerun }: { arenaId: string; onPicked: (arena: Arena) => void; onRerun?: (arena: Arena) => void }) {
  const queries = useQueryClient();
  const arena = useQuery({
    queryKey: arenaKey(arenaId),
    queryFn: () => unwrapAs<Arena>(client.GET("/api/arenas/{id}", { params: { path: { id: arenaId } } })),
  });
  const pick = useMutation({
    mutationFn: (index: number) => unwrapAs<Arena>(client.POST("/api/arenas/{id}/pick", { params: { path: { id: arenaId } }, body: { index } })),
    onSuccess: (a) => {
      queries.setQueryData(arenaKey(arenaId), a);
      onPicked(a);
    },
  });
  const rerun = useMutation({
    mutationFn: () => unwrapAs<Arena>(client.POST("/api/arenas/{id}/rerun", { params: { path: { id: arenaId } } })),
    onSuccess: (next) => {
      queries.setQueryData(arenaKey(next.id), next);
      onRerun?.(next);
    },
  });
  const a = arena.data;
  if (!a) return <p className="p-4 text-muted">{arena.error ? arena.error.message : "Loading the arena…"}</p>;
  const verdict = (exit: number | null, done: boolean) => (!a.verify ? "–" : !done ? "…" : exit === 0 ? "pass" : exit === null ? "timed out" : `fail (${exit})`);
  return (
    <section className="flex min-h-0 flex-1 flex-col gap-2 overflow-auto p-3" aria-label="Arena summary">
      <h2 className="text-sm font-semibold">Arena: {a.prompt}</h2>
      {a.verify && <p className="text-xs text-muted">Verify: <code>{a.verify}</code></p>}
      <div className="shrink-0 overflow-x-auto" tabIndex={0} role="region" aria-label="Contenders, scrollable">
      <table className="w-full min-w-[560px] text-left text-sm" aria-label="Contenders">
        <thead>
          <tr className="border-b border-line text-xs text-muted">
            <th className="p-1">#</th><th className="p-1">Contender</th><th className="p-1">Outcome</th><th className="p-1">Verify</th><th className="p-1">Files</th><th className="p-1">Lines</th><th className="p-1">Tokens</th><th className="p-1">Time</th><th className="p-1"><span className="sr-only">Pick</span></th>
          </tr>
        </thead>
        <tbody>
          {a.contenders.map((c) => {
            const done = c.state === "done";
            const name = c.model ? `${c.provider}:${c.model}` : c.provider;
            return (
              <tr key={c.index} className="border-b border-line" aria-label={`Contender ${c.index} ${name}`}>
                <td className="p-1">{c.index}</td>
                <td className="p-1">{name}</td>
                <td className="p-1">{c.outcome ?? c.state}</td>
                <td className="p-1">{verdict(c.verify_exit, done)}</td>
                <td className="p-1" title={c.files_changed.join("\n")}>{c.files_changed.length}</td>
                <td className="p-1">+{c.lines_added} −{c.lines_removed}</td>
                <td className="p-1">{c.tokens ?? "–"}</td>
                <td className="p-1">{c.wall_ms != null ? `${(c.wall_ms / 1000).toFixed(1)} s` : "–"}</td>
                <td className="p-1">
                  {a.picked === c.index ? (
                    <span className="text-ok">picked</span>
                  ) : (
                    <button className="btn text-xs" disabled={!done || a.picked != null || a.discarded || pick.isPending} onClick={() => pick.mutate(c.index)}>
                      Pick contender {c.index}
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      </div>
      {a.files_in_common.length > 0 && <p className="text-xs text-muted">Changed by all: {a.files_in_common.join(", ")}</p>}
      <div className="flex flex-wrap items-center gap-2">
        {onRerun && (
          <button className="btn text-xs" disabled={rerun.isPending || a.contenders.some((c) => c.state !== "done")} onClick={() => rerun.mutate()}>
            Run again
          </button>
        )}
        {a.rerun_of && <span className="text-xs text-muted">A rerun of an earlier arena</span>}
      </div>
      {(pick.error ?? rerun.error) && <p role="alert" className="notice error">{(pick.error ?? rerun.error)?.message}</p>}
    </section>
  );
}
