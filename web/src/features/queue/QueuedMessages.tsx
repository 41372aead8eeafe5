import { useCancelQueued, useQueue } from "./useQueue";

/** What waits to run after the chat's current turn, each cancellable. */
export function QueuedMessages({ chatId }: { chatId: string }) {
  const queue = useQueue(chatId);
  const cancel = useCancelQueued(chatId);
  const list = queue.data ?? [];
  if (!list.length) return null;
  return (
    <ol className="mx-3 mt-2 flex flex-col gap-1" aria-label="Queued messages">
      {list.map((q) => (
        <li key={q.id} className="flex items-center gap-2 rounded-md border border-dashed border-line px-2 py-1 text-sm" aria-label={`Queued: ${q.text}`}>
          <span className="text-xs text-muted">queued</span>
          <span className="flex-1 truncate">{q.text}</span>
          <button className="btn" disabled={cancel.isPending} onClick={() => cancel.mutate(q.id)}>Cancel</button>
        </li>
      ))}
      {cancel.error && <li role="alert" className="text-xs text-err">{cancel.error.message}</li>}
    </ol>
  );
}
