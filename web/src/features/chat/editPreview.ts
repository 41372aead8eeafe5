// What a tool call does, read from its arguments, for every provider's tools: the diff an edit
// would make (BooCode's `edit_file` / `create_file`, Claude Code's `Edit` / `MultiEdit` /
// `Write`, opencode's `edit` / `write`, ACP edits) and a one-line summary of any other call
// (a shell command, a path, a pattern, a URL).

export interface EditPreview {
  path: string;
  /** Lines removed, then lines added (each edit's), as a unified diff shows them. */
  lines: { kind: "del" | "add"; text: string }[];
  /** Lines left out past the preview's length. */
  more: number;
}

const MAX_LINES = 40;

type Edit = { old_string?: unknown; new_string?: unknown; oldString?: unknown; newString?: unknown; old_str?: unknown; new_str?: unknown };

const oldOf = (e: Edit) => e.old_string ?? e.oldString ?? e.old_str;
const newOf = (e: Edit) => e.new_string ?? e.newString ?? e.new_str;

function parseArgs(argumentsText: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(argumentsText);
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The preview of `name(arguments)`, or `null` when it is not an edit or its arguments are not JSON. */
export function editPreview(name: string, argumentsText: string): EditPreview | null {
  const args = parseArgs(argumentsText);
  if (!args) return null;
  const path = [args.path, args.file_path, args.filePath].find((p): p is string => typeof p === "string");
  if (!path) return null;
  const edits: Edit[] = Array.isArray(args.edits) ? (args.edits as Edit[]) : [args as Edit];
  const lines: EditPreview["lines"] = [];
  const split = (v: unknown) => (typeof v === "string" && v.length ? v.split("\n") : []);
  if (edits.some((e) => typeof newOf(e) === "string")) {
    for (const e of edits) {
      for (const text of split(oldOf(e))) lines.push({ kind: "del", text });
      for (const text of split(newOf(e))) lines.push({ kind: "add", text });
    }
  } else if (typeof args.content === "string" && (/write|create|edit/i.test(name) || Object.keys(args).length === 2)) {
    for (const text of split(args.content)) lines.push({ kind: "add", text });
  } else {
    return null;
  }
  return { path, lines: lines.slice(0, MAX_LINES), more: Math.max(0, lines.length - MAX_LINES) };
}

const MAX_SUMMARY = 160;

/**
 * One line saying what a call does: `$ command` for a shell, the path for a file tool, the
 * pattern for a search, the URL for a fetch, else the arguments as sent.
 */
export function toolSummary(argumentsText: string): string {
  const args = parseArgs(argumentsText);
  const cut = (s: string) => (s.length > MAX_SUMMARY ? `${s.slice(0, MAX_SUMMARY)}…` : s);
  if (!args) return cut(argumentsText);
  const text = (k: string) => (typeof args[k] === "string" ? (args[k] as string) : null);
  const command = text("command") ?? text("cmd");
  if (command) return cut(`$ ${command}`);
  const path = text("path") ?? text("file_path") ?? text("filePath");
  const pattern = text("pattern") ?? text("query");
  if (pattern) return cut(path ? `${pattern} in ${path}` : pattern);
  if (path) return cut(path);
  const url = text("url");
  if (url) return cut(url);
  return cut(argumentsText);
}
