// A chat's pending changes: listed by REST, kept current by `changes_changed` frames, and applied,
// rejected or rewound per change or all at once.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { ChangeReport, ChangeView } from "../../generated/types";
import { client, unwrapAs } from "../../lib/api";

export const changesKey = (chatId: string) => ["chats", chatId, "changes"] as const;

export function useChanges(chatId: string) {
  return useQuery({
    queryKey: changesKey(chatId),
    queryFn: () => unwrapAs<ChangeView[]>(client.GET("/api/chats/{id}/changes", { params: { path: { id: chatId } } })),
  });
}

export type ChangeOp = "apply" | "reject" | "rewind";

/** Runs `op` on the given changes (all of the chat's when `ids` is absent). */
export function useChangeOp(chatId: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: ({ op, ids }: { op: ChangeOp; ids?: string[] }) =>
      unwrapAs<ChangeReport>(client.POST("/api/chats/{id}/changes/{op}", { params: { path: { id: chatId, op } }, body: ids ? { ids } : {} })),
    onSettled: () => void queries.invalidateQueries({ queryKey: changesKey(chatId) }),
  });
}

/** Lines added and removed by a unified diff. */
export function lineCounts(diff: string): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const line of diff.split("\n")) {
    if (line.startsWith("+++") || line.startsWith("---")) continue;
    if (line.startsWith("+")) added += 1;
    else if (line.startsWith("-")) removed += 1;
  }
  return { added, removed };
}
