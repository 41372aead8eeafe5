// A chat's pending changes for review: each file with its +/- counts and its diff (unified or
// split), applied or rejected one by one or all at once; applied ones rewound after a look at
// what comes back. A file refused (changed on disk since, or by the path guard) is reported with
// its reason and nothing of it is half-applied.
import { AlertDialog, ToggleGroup } from "radix-ui";
import { useQueries } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Diff, Hunk, parseDiff } from "react-diff-view";
import "react-diff-view/style/index.css";
import type { ChangeReport, ChangeView, Refusal } from "../../generated/types";
import { changesQuery, lineCounts, useChangeOps, type ChangeOp } from "./useChanges";

type ViewType = "unified" | "split";

function DiffView({ diff, viewType }: { diff: string; viewType: ViewType }) {
  const files = useMemo(() => parseDiff(diff), [diff]);
  return (
    <div className="overflow-auto rounded-md border border-line text-xs" tabIndex={0} role="group" aria-label="Diff">
      {files.map((file, i) => (
        <Diff key={i} viewType={viewType} diffType={file.type} hunks={file.hunks}>
          {(hunks) => hunks.map((hunk) => <Hunk key={hunk.content} hunk={hunk} />)}
        </Diff>
      ))}
    </div>
  );
}

/** Rewinding an applied change, after a look at what the file goes back to. */
function RewindButton({ change, viewType, run }: { change: ChangeView; viewType: ViewType; run: (op: ChangeOp) => void }) {
  return (
    <AlertDialog.Root>
      <AlertDialog.Trigger asChild>
        <button className="btn">Rewind</button>
      </AlertDialog.Trigger>
      <AlertDialog.Portal>
        <AlertDialog.Overlay className="fixed inset-0 z-40 bg-black/50" />
        <AlertDialog.Content className="fixed left-1/2 top-[10vh] z-50 max-h-[80vh] w-[min(94vw,900px)] -translate-x-1/2 overflow-auto rounded-lg border border-line bg-panel p-4 shadow-xl">
          <AlertDialog.Title className="text-base font-semibold">Rewind {change.path}?</AlertDialog.Title>
          <AlertDialog.Description className="my-2 text-sm text-muted">
            The file goes back to the left side of this change: the added lines go, the removed lines come back.
          </AlertDialog.Description>
          <DiffView diff={change.diff} viewType={viewType} />
          <div className="mt-3 flex justify-end gap-2">
            <AlertDialog.Cancel asChild>
              <button className="btn">Cancel</button>
            </AlertDialog.Cancel>
            <AlertDialog.Action asChild>
              <button className="btn danger" onClick={() => run("rewind")}>Rewind</button>
            </AlertDialog.Action>
          </div>
        </AlertDialog.Content>
      </AlertDialog.Portal>
    </AlertDialog.Root>
  );
}

const STATE_LABEL: Record<ChangeView["state"], string> = {
  pending: "pending",
  applied: "applied",
  rejected: "rejected",
  reverted: "rewound",
};

/** A refused file: why, and when it changed on disk since, the file now beside the version the operation wanted. */
export function RefusedFile({ refusal, rewinding }: { refusal: Refusal; rewinding: boolean }) {
  return (
    <div className="mb-2">
      <p>
        <span className="font-mono">{refusal.path}</span> was left as it is: {refusal.reason}
      </p>
      {refusal.conflict && (
        <figure className="mt-1" aria-label={`Conflict in ${refusal.path}`}>
          <figcaption className="grid grid-cols-2 text-xs font-semibold">
            <span>On disk now</span>
            <span>{rewinding ? "What the rewind would restore" : "This chat's version"}</span>
          </figcaption>
          <DiffView diff={refusal.conflict} viewType="split" />
        </figure>
      )}
    </div>
  );
}

interface FileGroup {
  key: string;
  chatId: string;
  path: string;
  changes: ChangeView[];
}

/** Changes grouped by chat and file, in proposal order. */
function byFile(list: ChangeView[]): FileGroup[] {
  const groups = new Map<string, FileGroup>();
  for (const change of list) {
    const key = `${change.chat_id}:${change.path}`;
    const group = groups.get(key) ?? { key, chatId: change.chat_id, path: change.path, changes: [] };
    group.changes.push(change);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/**
 * The pending changes of `chats` (one chat, or every chat of a session): per file with its +/-
 * counts, applied or rejected per change, per file or all at once.
 */
export function ReviewPanel({ chats }: { chats: { id: string; title: string }[] }) {
  const results = useQueries({ queries: chats.map((c) => changesQuery(c.id)) });
  const op = useChangeOps();
  const [viewType, setViewType] = useState<ViewType>("unified");
  const [report, setReport] = useState<{ report: ChangeReport; op: ChangeOp } | null>(null);
  const list = results.flatMap((r) => r.data ?? []);
  const error = results.find((r) => r.error)?.error;
  const loading = results.some((r) => r.isPending);
  const pending = list.filter((c) => c.state === "pending");
  const applied = list.filter((c) => c.state === "applied");
  const several = chats.length > 1;
  const title = (chatId: string) => chats.find((c) => c.id === chatId)?.title ?? "";
  const run = (o: ChangeOp, changes: ChangeView[]) => op.mutate({ op: o, changes }, { onSuccess: (r) => setReport({ report: r, op: o }) });

  return (
    <section className="flex min-h-0 flex-1 flex-col" aria-label={several ? "Review the session's changes" : "Review changes"} data-testid="review-panel">
      <div className="flex flex-wrap items-center gap-2 border-b border-line p-2 text-sm">
        <span className="mr-auto">
          {pending.length} pending · {applied.length} applied · {list.length} in all{several ? ` · ${chats.length} chats` : ""}
        </span>
        <ToggleGroup.Root type="single" value={viewType} onValueChange={(v) => v && setViewType(v as ViewType)} aria-label="Diff view" className="flex rounded-md border border-line">
          <ToggleGroup.Item value="unified" className="px-2 py-1 data-[state=on]:bg-selected">Unified</ToggleGroup.Item>
          <ToggleGroup.Item value="split" className="px-2 py-1 data-[state=on]:bg-selected">Split</ToggleGroup.Item>
        </ToggleGroup.Root>
        <button className="btn primary" disabled={!pending.length || op.isPending} onClick={() => run("apply", pending)}>Apply all</button>
        <button className="btn" disabled={!pending.length || op.isPending} onClick={() => run("reject", pending)}>Reject all</button>
      </div>
      {op.error && <p role="alert" className="notice error m-2">{op.error.message}</p>}
      {report && report.report.refused.length > 0 && (
        <div role="alert" className="notice error m-2">
          {report.report.refused.map((r) => (
            <RefusedFile key={r.path} refusal={r} rewinding={report.op === "rewind"} />
          ))}
        </div>
      )}
      {error && <p role="alert" className="notice error m-2">{error.message}</p>}
      {list.length === 0 && !loading && <p className="p-4 text-muted">{several ? "No chat of this session has proposed changes." : "This chat has proposed no changes."}</p>}
      <ul className="min-h-0 flex-1 overflow-auto p-2">
        {byFile(list).map((group) => {
          const totals = group.changes.map((c) => lineCounts(c.diff)).reduce((a, b) => ({ added: a.added + b.added, removed: a.removed + b.removed }), { added: 0, removed: 0 });
          const waiting = group.changes.filter((c) => c.state === "pending");
          return (
            <li key={group.key} className="mb-4" aria-label={`${group.path}: ${group.changes.length} change${group.changes.length === 1 ? "" : "s"}`}>
              <div className="mb-1 flex flex-wrap items-center gap-2 border-b border-line pb-1 text-sm">
                <span className="font-mono font-semibold">{group.path}</span>
                {several && <span className="text-xs text-muted">{title(group.chatId)}</span>}
                <span className="text-ok" aria-label={`${totals.added} lines added`}>+{totals.added}</span>
                <span className="text-err" aria-label={`${totals.removed} lines removed`}>−{totals.removed}</span>
                {group.changes.length > 1 && waiting.length > 0 && (
                  <span className="ml-auto flex gap-1.5">
                    <button className="btn primary" disabled={op.isPending} onClick={() => run("apply", waiting)}>Apply file</button>
                    <button className="btn" disabled={op.isPending} onClick={() => run("reject", waiting)}>Reject file</button>
                  </span>
                )}
              </div>
              <ul>
                {group.changes.map((change) => (
                  <li key={change.id} className="mb-3" aria-label={`${change.path}, ${STATE_LABEL[change.state]}`}>
                    <div className="mb-1 flex flex-wrap items-center gap-2 text-sm">
                      <span className="rounded bg-hover px-1.5 text-xs">{STATE_LABEL[change.state]}</span>
                      <span className="ml-auto flex gap-1.5">
                        {change.state === "pending" && (
                          <>
                            <button className="btn primary" disabled={op.isPending} onClick={() => run("apply", [change])}>Apply</button>
                            <button className="btn" disabled={op.isPending} onClick={() => run("reject", [change])}>Reject</button>
                          </>
                        )}
                        {change.state === "applied" && <RewindButton change={change} viewType={viewType} run={(o) => run(o, [change])} />}
                      </span>
                    </div>
                    <DiffView diff={change.diff} viewType={viewType} />
                  </li>
                ))}
              </ul>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
