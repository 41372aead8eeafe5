import hljs from "highlight.js/lib/common";
import { useEffect, useState } from "react";
import { api } from "../api";

interface Entry {
  name: string;
  path: string;
  is_dir: boolean;
  size: number;
}

interface FileContent {
  path: string;
  text: string | null;
  binary: boolean;
  size: number;
  truncated: boolean;
}

function Dir({ projectId, path, depth, open }: { projectId: string; path: string; depth: number; open: (p: string) => void }) {
  const [entries, setEntries] = useState<Entry[] | null>(null);
  const [expanded, setExpanded] = useState<Record<string, boolean>>({});
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<{ entries: Entry[] }>(`/api/projects/${projectId}/files?path=${encodeURIComponent(path)}`)
      .then((r) => setEntries(r.entries))
      .catch((e: Error) => setError(e.message));
  }, [projectId, path]);
  if (error) return <div className="notice error">{error}</div>;
  if (!entries) return <div className="muted">…</div>;
  return (
    <ul className="tree" style={{ paddingLeft: depth ? 14 : 0 }}>
      {entries.map((e) => (
        <li key={e.path}>
          <button
            className={`tree-item ${e.is_dir ? "dir" : "file"}`}
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
  const [file, setFile] = useState<FileContent | null>(null);
  const [error, setError] = useState<string | null>(null);
  const open = (path: string) => {
    setError(null);
    api<FileContent>(`/api/projects/${projectId}/file?path=${encodeURIComponent(path)}`)
      .then(setFile)
      .catch((e: Error) => setError(e.message));
  };
  const html = file?.text ? hljs.highlightAuto(file.text).value : null;
  return (
    <div className="file-browser" data-testid="file-browser">
      <div className="file-tree">
        <Dir projectId={projectId} path="" depth={0} open={open} />
      </div>
      <div className="file-view">
        {error && <div className="notice error">{error}</div>}
        {file && (
          <>
            <div className="file-head">
              <span>{file.path}</span>
              {file.text !== null && (
                <button data-testid="attach" onClick={() => onAttach(`\`${file.path}\`:\n\`\`\`\n${file.text}\n\`\`\`\n`)}>Attach to chat</button>
              )}
            </div>
            {file.binary ? (
              <div className="muted">Binary file, {file.size} bytes.</div>
            ) : (
              // highlight.js escapes the text it returns.
              <pre className="hljs"><code dangerouslySetInnerHTML={{ __html: html ?? "" }} /></pre>
            )}
            {file.truncated && <div className="muted">Shown up to 2 MB.</div>}
          </>
        )}
      </div>
    </div>
  );
}
