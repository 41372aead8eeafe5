// A project's defaults for its chats (web access, tool tier) and the other directories they may
// read. The server resolves each directory (symlinks followed) and refuses the filesystem root.
import { useState } from "react";
import type { Project, ToolTier } from "../../generated/types";
import { FormDialog } from "../../lib/FormDialog";
import { usePatchProject } from "../../lib/queries";

export function ProjectSettingsDialog({ project, onClose }: { project: Project; onClose: () => void }) {
  const [web, setWeb] = useState(project.settings.web);
  const [tier, setTier] = useState<ToolTier>(project.settings.tool_tier);
  const [grants, setGrants] = useState(project.settings.read_grants.join("\n"));
  const patch = usePatchProject(project.id);
  return (
    <FormDialog
      wide
      title={`Settings of ${project.name}`}
      description="Defaults for this project's chats on BooCode's own loop; a chat can override web access and the tool tier in its composer."
      error={patch.error?.message ?? null}
      pending={patch.isPending}
      onClose={onClose}
      onSubmit={() => {
        const read_grants = grants.split("\n").map((g) => g.trim()).filter(Boolean);
        patch.mutate({ web, tool_tier: tier, read_grants }, { onSuccess: onClose });
      }}
    >
      <label className="flex min-h-11 items-center gap-2 text-sm">
        <input type="checkbox" className="size-5" checked={web} onChange={(e) => setWeb(e.target.checked)} />
        Web access by default (web_fetch, and web_search when a SearXNG URL is set)
      </label>
      <label className="flex flex-col gap-1 text-sm">
        Tool tier
        <select className="field" value={tier} onChange={(e) => setTier(e.target.value as ToolTier)}>
          <option value="core">Core: view, list, grep, find (small models)</option>
          <option value="standard">Standard: core, truncated outputs, MCP tools</option>
          <option value="all">All tools</option>
        </select>
      </label>
      <label className="flex flex-col gap-1 text-sm">
        Read grants: other directories chats may read, one absolute path per line
        <textarea className="field min-h-20 font-mono text-xs" value={grants} onChange={(e) => setGrants(e.target.value)} placeholder="/home/me/src/shared-lib" />
      </label>
    </FormDialog>
  );
}
