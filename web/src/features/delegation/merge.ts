// Merging a delegated child: its worktree's changes become pending changes of its parent chat.
import { useMutation } from "@tanstack/react-query";
import type { MergedChild } from "../../generated/types";
import { client, unwrapAs } from "../../lib/api";

export function useMergeChild(childId: string) {
  return useMutation({
    mutationFn: () => unwrapAs<MergedChild>(client.POST("/api/chats/{id}/merge", { params: { path: { id: childId } } })),
  });
}

/** What a merge did, in words. */
export function mergedText(merged: MergedChild): string {
  const n = merged.queued;
  return `${n} change${n === 1 ? "" : "s"} now wait${n === 1 ? "s" : ""} for review in the parent chat`;
}
