// The human inbox: permission prompts waiting across every session, and answering one.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { InboxItem, PermissionDecision, TerminalInfo } from "../../generated/types";
import { client, unwrapAs } from "../../lib/api";

export const inboxKey = ["inbox", "waiting"] as const;

/** The waiting prompts, fetched again whenever the user channel's count changes. */
export function useInbox(waiting: number) {
  return useQuery({
    queryKey: [...inboxKey, waiting],
    queryFn: () => unwrapAs<InboxItem[]>(client.GET("/api/inbox", { params: { query: { state: "waiting" } } })),
  });
}

/** The chats' agent terminals waiting for input, fetched again whenever their count changes. */
export function useWaitingTerminals(waiting: number) {
  return useQuery({
    queryKey: ["inbox", "terminals", waiting],
    queryFn: () => unwrapAs<TerminalInfo[]>(client.GET("/api/inbox/terminals")),
    // Nothing waits: nothing to ask for.
    enabled: waiting > 0,
  });
}

export function useAnswer() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: ({ requestId, decision }: { requestId: string; decision: PermissionDecision }) =>
      unwrapAs<InboxItem>(client.POST("/api/inbox/{request_id}", { params: { path: { request_id: requestId } }, body: { decision } })),
    onSettled: () => void queries.invalidateQueries({ queryKey: inboxKey }),
  });
}
