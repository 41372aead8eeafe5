// A project's defaults for its chats (web access, tool tier) and the other directories they may
// read. The server resolves each directory (symlinks followed) and refuses the filesystem root.
import { Dialog } from "radix-ui";
import { useState } from "react";
import type { Project, ToolTier } from "../../generated/types";
import { usePatchProject } from "../../lib/queries";

export function ProjectSettingsDialog({ project, onClose }: { project: Project; onClose: () => void }) {
  const [web, setWeb] = useState(project.settings.web);
  const [tier, setTier] = useState<ToolTier>(project.settings.tool_tier);
  const [grants, setGrants] = useState(project.settings.read_grants.join("\n"));
  const patch = usePatchProject(project.id);
  return (
    <Dialog.Root open onOpenChange={(open) => !open && onClose()}>
      <Dialog.Portal>
        <Dialog.Overlay className="fixed inset-0 bg-black/50" />
        <Dialog.Content className="fixed left-1/2 top-[12%] w-[min(92vw,520px)] -translate-x-1/2 rounded-lg border border-line bg-panel p-4 shadow-xl">
          <Dialog.Title className="mb-1 text-base font-semibold">Settings of {project.name}</Dialog.Title>
          <Dialog.Description className="mb-3 text-sm text-muted">Defaults for this project's chats on BooCode's own loop; a chat can override web access and the tool tier in its composer.</Dialog.Description>
          <form
            className="flex flex-col gap-3"
            onSubmit={(e) => {
              e.preventDefault();
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
            {patch.error && <p role="alert" className="notice error">{patch.error.message}</p>}
            <div className="flex justify-end gap-2">
              <Dialog.Close asChild>
                <button type="button" className="btn">Cancel</button>
              </Dialog.Close>
              <button type="submit" className="btn primary" disabled={patch.isPending}>Save</button>
            </div>
          </form>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
