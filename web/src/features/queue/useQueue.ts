// Messages sent while a chat's turn runs: they wait in its queue (shown, cancellable) and run
// next; kept current by `queue_changed` frames.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { QueuedMessage } from "../../generated/types";
import { client, unwrap, unwrapAs } from "../../lib/api";

export const queueKey = (chatId: string) => ["chats", chatId, "queue"] as const;

export function useQueue(chatId: string) {
  return useQuery({
    queryKey: queueKey(chatId),
    queryFn: () => unwrapAs<QueuedMessage[]>(client.GET("/api/chats/{id}/queue", { params: { path: { id: chatId } } })),
  });
}

export function useCancelQueued(chatId: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (queuedId: string) => unwrap(client.DELETE("/api/chats/{id}/queue/{queued_id}", { params: { path: { id: chatId, queued_id: queuedId } } })),
    onSettled: () => void queries.invalidateQueries({ queryKey: queueKey(chatId) }),
  });
}
