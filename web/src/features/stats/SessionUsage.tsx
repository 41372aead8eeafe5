// What a session has used so far, over all its chats: turns, tokens and the agents' reported
// cost (BooCode's own loop reports tokens only). Read again after each turn.
import { useQuery } from "@tanstack/react-query";
import { client, unwrap } from "../../lib/api";

interface Row {
  key: string;
  turns: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
}

/** The totals of the report's rows, as one line. */
export function sessionUsageLine(rows: Row[]): string | null {
  const sum = rows.reduce((a, r) => ({ turns: a.turns + r.turns, p: a.p + r.prompt_tokens, c: a.c + r.completion_tokens, cost: a.cost + r.cost_usd }), { turns: 0, p: 0, c: 0, cost: 0 });
  if (sum.turns === 0) return null;
  const line = `${sum.turns} turn${sum.turns === 1 ? "" : "s"} · ${sum.p.toLocaleString("en")} in · ${sum.c.toLocaleString("en")} out`;
  return sum.cost > 0 ? `${line} · $${sum.cost.toFixed(4)}` : line;
}

export function SessionUsage({ sessionId, turns }: { sessionId: string; turns: number }) {
  const usage = useQuery({
    // `turns` changes when a turn ends: the totals are read again.
    queryKey: ["usage", "session", sessionId, turns],
    queryFn: () => unwrap(client.GET("/api/usage", { params: { query: { session: sessionId } } })),
    placeholderData: (previous) => previous,
  });
  const line = usage.data ? sessionUsageLine(usage.data.rows as unknown as Row[]) : null;
  if (!line) return null;
  return (
    <span className="ml-auto truncate text-xs text-muted" aria-label="Usage of this session" data-testid="session-usage">
      {line}
    </span>
  );
}
