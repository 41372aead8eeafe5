import type { ChatStatus } from "../../generated/types";

const COLORS: Record<ChatStatus, string> = {
  idle: "bg-muted",
  streaming: "bg-ok animate-pulse",
  tool_running: "bg-ok animate-pulse",
  waiting_for_input: "bg-warn",
  error: "bg-err",
};

/** A chat's status as a coloured dot, named for screen readers. */
export function StatusDot({ status }: { status: ChatStatus }) {
  return <span role="img" aria-label={status.replace(/_/g, " ")} title={status.replace(/_/g, " ")} data-testid="status-dot" className={`inline-block size-2.5 flex-none rounded-full ${COLORS[status]}`} />;
}
