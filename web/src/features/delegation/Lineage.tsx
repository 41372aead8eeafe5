// A chat's place in a delegation tree, above its messages: the chat that delegated it (with a
// way to merge its changes there) and the chats it delegated, nested under it.
import { useContext } from "react";
import type { Chat } from "../../generated/types";
import { OpenChat } from "./opener";
import { mergedText, useMergeChild } from "./merge";

function MergeIntoParent({ child }: { child: Chat }) {
  const merge = useMergeChild(child.id);
  if (merge.data) return <span className="text-ok" role="status">Merged: {mergedText(merge.data)}</span>;
  return (
    <>
      <button type="button" className="btn text-xs" disabled={merge.isPending} onClick={() => merge.mutate()}>
        Merge into parent
      </button>
      {merge.error && <span className="text-err" role="alert">{merge.error.message}</span>}
    </>
  );
}

export function Lineage({ chatId }: { chatId: string }) {
  const { chats, open } = useContext(OpenChat);
  const chat = chats.find((c) => c.id === chatId);
  const parent = chat?.parent ? chats.find((c) => c.id === chat.parent) : undefined;
  const children = chats.filter((c) => c.parent === chatId);
  if (!chat || (!chat.parent && children.length === 0)) return null;
  return (
    <nav className="flex flex-col gap-1 border-b border-line px-3 py-1 text-xs" aria-label="Delegation">
      {chat.parent && (
        <div className="flex flex-wrap items-center gap-2">
          <span className="text-muted">Delegated by</span>
          <button type="button" className="text-accent underline" onClick={() => open(chat.parent ?? "")}>
            {parent?.title || "the parent chat"}
          </button>
          {chat.worktree != null && <MergeIntoParent child={chat} />}
        </div>
      )}
      {children.length > 0 && (
        <div className="flex flex-wrap items-center gap-1">
          <span className="text-muted">Delegated chats:</span>
          <ul className="flex flex-wrap gap-1" aria-label="Delegated chats">
            {children.map((c) => (
              <li key={c.id}>
                <button type="button" className="btn text-xs" onClick={() => open(c.id)} title={`${c.provider}${c.model ? `:${c.model}` : ""}`}>
                  {c.title || "Child chat"}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </nav>
  );
}
