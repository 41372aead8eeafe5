// A chat's pending changes for review: each file with its +/- counts and its diff (unified or
// split), applied or rejected one by one or all at once; applied ones rewound after a look at
// what comes back. A file refused (changed on disk since, or by the path guard) is reported with
// its reason and nothing of it is half-applied.
import { AlertDialog, ToggleGroup } from "radix-ui";
import { useMemo, useState } from "react";
import { Diff, Hunk, parseDiff } from "react-diff-view";
import "react-diff-view/style/index.css";
import type { ChangeReport, ChangeView } from "../../generated/types";
import { lineCounts, useChangeOp, useChanges, type ChangeOp } from "./useChanges";

type ViewType = "unified" | "split";

function DiffView({ diff, viewType }: { diff: string; viewType: ViewType }) {
  const files = useMemo(() => parseDiff(diff), [diff]);
  return (
    <div className="overflow-auto rounded-md border border-line text-xs">
      {files.map((file, i) => (
        <Diff key={i} viewType={viewType} diffType={file.type} hunks={file.hunks}>
          {(hunks) => hunks.map((hunk) => <Hunk key={hunk.content} hunk={hunk} />)}
        </Diff>
      ))}
    </div>
  );
}

/** Rewinding an applied change, after a look at what the file goes back to. */
function RewindButton({ change, viewType, run }: { change: ChangeView; viewType: ViewType; run: (op: ChangeOp, ids?: string[]) => void }) {
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
              <button className="btn danger" onClick={() => run("rewind", [change.id])}>Rewind</button>
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

export function ReviewPanel({ chatId }: { chatId: string }) {
  const changes = useChanges(chatId);
  const op = useChangeOp(chatId);
  const [viewType, setViewType] = useState<ViewType>("unified");
  const [report, setReport] = useState<ChangeReport | null>(null);
  const list = changes.data ?? [];
  const pending = list.filter((c) => c.state === "pending");
  const applied = list.filter((c) => c.state === "applied");
  const run = (o: ChangeOp, ids?: string[]) => op.mutate({ op: o, ids }, { onSuccess: setReport });

  return (
    <section className="flex min-h-0 flex-1 flex-col" aria-label="Review changes" data-testid="review-panel">
      <div className="flex flex-wrap items-center gap-2 border-b border-line p-2 text-sm">
        <span className="mr-auto">
          {pending.length} pending · {applied.length} applied · {list.length} in all
        </span>
        <ToggleGroup.Root type="single" value={viewType} onValueChange={(v) => v && setViewType(v as ViewType)} aria-label="Diff view" className="flex rounded-md border border-line">
          <ToggleGroup.Item value="unified" className="px-2 py-1 data-[state=on]:bg-selected">Unified</ToggleGroup.Item>
          <ToggleGroup.Item value="split" className="px-2 py-1 data-[state=on]:bg-selected">Split</ToggleGroup.Item>
        </ToggleGroup.Root>
        <button className="btn primary" disabled={!pending.length || op.isPending} onClick={() => run("apply", pending.map((c) => c.id))}>Apply all</button>
        <button className="btn" disabled={!pending.length || op.isPending} onClick={() => run("reject", pending.map((c) => c.id))}>Reject all</button>
      </div>
      {op.error && <p role="alert" className="notice error m-2">{op.error.message}</p>}
      {report && report.refused.length > 0 && (
        <div role="alert" className="notice error m-2">
          {report.refused.map((r) => (
            <p key={r.path}>
              <span className="font-mono">{r.path}</span> was left as it is: {r.reason}
            </p>
          ))}
        </div>
      )}
      {changes.error && <p role="alert" className="notice error m-2">{changes.error.message}</p>}
      {list.length === 0 && !changes.isPending && <p className="p-4 text-muted">This chat has proposed no changes.</p>}
      <ul className="min-h-0 flex-1 overflow-auto p-2">
        {list.map((change) => {
          const { added, removed } = lineCounts(change.diff);
          return (
            <li key={change.id} className="mb-3" aria-label={`${change.path}, ${STATE_LABEL[change.state]}`}>
              <div className="mb-1 flex flex-wrap items-center gap-2 text-sm">
                <span className="font-mono">{change.path}</span>
                <span className="text-ok" aria-label={`${added} lines added`}>+{added}</span>
                <span className="text-err" aria-label={`${removed} lines removed`}>−{removed}</span>
                <span className="rounded bg-hover px-1.5 text-xs">{STATE_LABEL[change.state]}</span>
                <span className="ml-auto flex gap-1.5">
                  {change.state === "pending" && (
                    <>
                      <button className="btn primary" disabled={op.isPending} onClick={() => run("apply", [change.id])}>Apply</button>
                      <button className="btn" disabled={op.isPending} onClick={() => run("reject", [change.id])}>Reject</button>
                    </>
                  )}
                  {change.state === "applied" && <RewindButton change={change} viewType={viewType} run={run} />}
                </span>
              </div>
              <DiffView diff={change.diff} viewType={viewType} />
            </li>
          );
        })}
      </ul>
    </section>
  );
}
