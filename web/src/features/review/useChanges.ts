// A chat's pending changes: listed by REST, kept current by `changes_changed` frames, and applied,
// rejected or rewound per change or all at once.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { ChangeReport, ChangeView } from "../../generated/types";
import { client, unwrapAs } from "../../lib/api";

export const changesKey = (chatId: string) => ["chats", chatId, "changes"] as const;

/** A chat's changes, as a query (for `useQuery` or `useQueries`). */
export function changesQuery(chatId: string) {
  return {
    queryKey: changesKey(chatId),
    queryFn: () => unwrapAs<ChangeView[]>(client.GET("/api/chats/{id}/changes", { params: { path: { id: chatId } } })),
  };
}

export function useChanges(chatId: string) {
  return useQuery(changesQuery(chatId));
}

export type ChangeOp = "apply" | "reject" | "rewind";

/**
 * Runs `op` on the given changes, chat by chat (one request per chat, in order), and merges the
 * reports: what was done, and each file refused with its reason.
 */
export function useChangeOps() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async ({ op, changes }: { op: ChangeOp; changes: ChangeView[] }) => {
      const byChat = new Map<string, string[]>();
      for (const c of changes) byChat.set(c.chat_id, [...(byChat.get(c.chat_id) ?? []), c.id]);
      const merged: ChangeReport = { done: [], refused: [] };
      for (const [chatId, ids] of byChat) {
        const report = await unwrapAs<ChangeReport>(client.POST("/api/chats/{id}/changes/{op}", { params: { path: { id: chatId, op } }, body: { ids } }));
        merged.done.push(...report.done);
        merged.refused.push(...report.refused);
      }
      return merged;
    },
    onSettled: (_report, _error, { changes }) => {
      for (const chatId of new Set(changes.map((c) => c.chat_id))) void queries.invalidateQueries({ queryKey: changesKey(chatId) });
    },
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
