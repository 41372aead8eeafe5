// How the tools have been doing: calls, median and 95th percentile time, output size, failures,
// over each tool's latest calls.
import { useQuery } from "@tanstack/react-query";
import type { ToolStatsReport } from "../../generated/types";
import { client, unwrapAs } from "../../lib/api";

export function ToolStatsView() {
  const stats = useQuery({
    queryKey: ["stats", "tools"],
    queryFn: () => unwrapAs<ToolStatsReport>(client.GET("/api/stats/tools")),
    refetchInterval: 10_000,
  });
  const tools = stats.data?.tools ?? [];
  return (
    <section className="min-h-0 flex-1 overflow-auto p-3" aria-label="Tool statistics" tabIndex={0}>
      {stats.error && <p role="alert" className="notice error">{stats.error.message}</p>}
      {stats.data && tools.length === 0 && <p className="text-muted">No tool has run yet.</p>}
      {tools.length > 0 && (
        <table className="w-full border-collapse text-sm">
          <caption className="mb-2 text-left text-muted">Each tool's latest {stats.data?.window} calls</caption>
          <thead>
            <tr className="border-b border-line text-left">
              <th scope="col" className="py-1 pr-3">Tool</th>
              <th scope="col" className="py-1 pr-3 text-right">Calls</th>
              <th scope="col" className="py-1 pr-3 text-right">Median</th>
              <th scope="col" className="py-1 pr-3 text-right">95th percentile</th>
              <th scope="col" className="py-1 pr-3 text-right">Mean output</th>
              <th scope="col" className="py-1 text-right">Failed</th>
            </tr>
          </thead>
          <tbody>
            {tools.map((t) => (
              <tr key={t.tool} className="border-b border-line/50">
                <th scope="row" className="py-1 pr-3 text-left font-mono font-normal">{t.tool}</th>
                <td className="py-1 pr-3 text-right">{t.count}</td>
                <td className="py-1 pr-3 text-right">{t.p50_ms} ms</td>
                <td className="py-1 pr-3 text-right">{t.p95_ms} ms</td>
                <td className="py-1 pr-3 text-right">{t.mean_output_bytes.toLocaleString("en")} B</td>
                <td className="py-1 text-right">{Math.round(t.error_rate * 100)}%</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
