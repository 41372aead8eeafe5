// The inbox in the top bar: a badge with the number of prompts and agent terminals waiting across
// all sessions, and a panel listing them: each prompt answerable there or opened in its chat,
// each terminal (a TUI agent gone quiet, waiting for input) opened in its session.
import { Popover } from "radix-ui";
import { useNavigate } from "react-router";
import { PermissionActions } from "./PermissionActions";
import { useInbox, useWaitingTerminals } from "./useInbox";

function described(prompts: number, terminals: number): string {
  const parts = [];
  if (prompts > 0) parts.push(prompts === 1 ? "1 permission prompt waits" : `${prompts} permission prompts wait`);
  if (terminals > 0) parts.push(terminals === 1 ? "1 agent terminal waits" : `${terminals} agent terminals wait`);
  return `${parts.join(" and ")} for you`;
}

export function InboxButton({ waiting, terminals = 0 }: { waiting: number; terminals?: number }) {
  const inbox = useInbox(waiting);
  const quiet = useWaitingTerminals(terminals);
  const navigate = useNavigate();
  const items = inbox.data ?? [];
  const idle = quiet.data ?? [];
  const total = waiting + terminals;
  return (
    <Popover.Root>
      <Popover.Trigger asChild>
        {/* Named by what it shows ("Inbox 1"); the number is described. */}
        <button className="btn relative gap-1.5" aria-describedby={total > 0 ? "inbox-count" : undefined}>
          Inbox
          {total > 0 && (
            <span className="rounded-full bg-warn px-1.5 text-xs font-semibold text-bg" data-testid="inbox-badge">
              {total}
            </span>
          )}
          {total > 0 && (
            <span id="inbox-count" hidden>
              {described(waiting, terminals)}
            </span>
          )}
        </button>
      </Popover.Trigger>
      <Popover.Portal>
        <Popover.Content className="menu z-50 w-[min(92vw,420px)] p-3" align="end" sideOffset={6} aria-label="Inbox">
          <h2 className="mb-2 text-sm font-semibold">Waiting for you</h2>
          {inbox.error && <p role="alert" className="notice error">{inbox.error.message}</p>}
          {items.length === 0 && idle.length === 0 && <p className="text-sm text-muted">Nothing is waiting.</p>}
          <ul className="flex flex-col gap-2">
            {items.map((item) => (
              <li key={item.request_id} className="rounded-md border border-line p-2 text-sm" aria-label={`${item.provider} wants ${item.tool}`}>
                <div className="flex items-baseline justify-between gap-2">
                  <span>
                    <span className="font-semibold">{item.provider}</span> wants <span className="font-semibold">{item.tool}</span>
                  </span>
                  <Popover.Close asChild>
                    <button className="text-xs text-accent underline" onClick={() => navigate(`/s/${item.session_id}?tabs=${item.chat_id}`)}>
                      Open chat
                    </button>
                  </Popover.Close>
                </div>
                <pre className="mt-1 max-h-32 overflow-auto rounded bg-field p-1.5 text-xs whitespace-pre-wrap">{item.summary}</pre>
                <PermissionActions requestId={item.request_id} what={`${item.tool}: ${item.summary}`} />
              </li>
            ))}
          </ul>
          {idle.length > 0 && (
            <>
              <h3 className="mt-3 mb-1 text-sm font-semibold">Agents waiting for input</h3>
              <ul className="flex flex-col gap-2">
                {idle.map((t) => (
                  <li key={t.id} className="flex items-baseline justify-between gap-2 rounded-md border border-line p-2 text-sm" aria-label={`${t.title} waits for input`}>
                    <span>
                      <span className="font-semibold">{t.title}</span> is quiet, waiting for you to type
                    </span>
                    <Popover.Close asChild>
                      <button className="text-xs text-accent underline" onClick={() => navigate(`/s/${t.session_id}?focus=${t.id}`)}>
                        Open terminal
                      </button>
                    </Popover.Close>
                  </li>
                ))}
              </ul>
            </>
          )}
        </Popover.Content>
      </Popover.Portal>
    </Popover.Root>
  );
}
