// The project's files through the server's guarded endpoints: a lazy tree, a highlighted view,
// and "attach to chat".
import { CodeBlock } from "../../lib/CodeBlock";
import { useState } from "react";
import { useDir, useFile } from "../../lib/queries";

function Dir({ projectId, path, depth, open }: { projectId: string; path: string; depth: number; open: (p: string) => void }) {
  const listing = useDir(projectId, path);
  const [expanded, setExpanded] = useState<Record<string, boolean>>({});
  if (listing.error) return <div className="notice error" role="alert">{listing.error.message}</div>;
  if (!listing.data) return <div className="text-muted">…</div>;
  return (
    <ul role={depth ? "group" : "tree"} aria-label={depth ? undefined : "Project files"} style={{ paddingLeft: depth ? 14 : 0 }}>
      {listing.data.entries.map((e) => (
        <li key={e.path} role="treeitem" aria-expanded={e.is_dir ? Boolean(expanded[e.path]) : undefined} aria-selected={false}>
          <button
            className="w-full truncate rounded px-1.5 py-1 text-left hover:bg-hover"
            data-testid="tree-item"
            onClick={() => (e.is_dir ? setExpanded({ ...expanded, [e.path]: !expanded[e.path] }) : open(e.path))}
          >
            {e.is_dir ? (expanded[e.path] ? "▾ " : "▸ ") : ""}
            {e.name}
          </button>
          {e.is_dir && expanded[e.path] && <Dir projectId={projectId} path={e.path} depth={depth + 1} open={open} />}
        </li>
      ))}
    </ul>
  );
}

export function FileBrowser({ projectId, onAttach }: { projectId: string; onAttach: (text: string) => void }) {
  const [path, setPath] = useState<string | null>(null);
  const file = useFile(projectId, path);
  const content = file.data;
  return (
    <div className="flex min-h-0 flex-1 max-md:flex-col" data-testid="file-browser">
      <div className="w-64 flex-none overflow-auto border-r border-line p-2 text-sm max-md:max-h-48 max-md:w-full max-md:border-b max-md:border-r-0">
        <Dir projectId={projectId} path="" depth={0} open={setPath} />
      </div>
      <div className="min-w-0 flex-1 overflow-auto p-3">
        {file.error && <div className="notice error" role="alert">{file.error.message}</div>}
        {content && (
          <>
            <div className="mb-2 flex items-center justify-between gap-2 text-sm">
              <span className="truncate font-mono">{content.path}</span>
              {content.text !== null && content.text !== undefined && (
                <button className="btn" data-testid="attach" onClick={() => onAttach(`\`${content.path}\`:\n\`\`\`\n${content.text}\n\`\`\`\n`)}>
                  Attach to chat
                </button>
              )}
            </div>
            {content.binary || content.text === null || content.text === undefined ? (
              <div className="text-muted">Binary file, {content.size} bytes.</div>
            ) : (
              <CodeBlock code={content.text} lang={content.path.split(".").pop()} className="text-sm" />
            )}
            {content.truncated && <div className="text-muted">Shown up to 2 MB.</div>}
          </>
        )}
      </div>
    </div>
  );
}
