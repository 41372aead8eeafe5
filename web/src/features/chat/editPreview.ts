// What an edit tool call would change, read from its arguments: BooCode's own `edit_file` /
// `create_file`, Claude Code's `Edit` / `MultiEdit` / `Write`, and any tool with the same shape.

export interface EditPreview {
  path: string;
  /** Lines removed, then lines added (each edit's), as a unified diff shows them. */
  lines: { kind: "del" | "add"; text: string }[];
  /** Lines left out past the preview's length. */
  more: number;
}

const MAX_LINES = 40;

type Edit = { old_string?: unknown; new_string?: unknown };

/** The preview of `name(arguments)`, or `null` when it is not an edit or its arguments are not JSON. */
export function editPreview(name: string, argumentsText: string): EditPreview | null {
  let args: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(argumentsText);
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return null;
    args = parsed as Record<string, unknown>;
  } catch {
    return null;
  }
  const path = [args.path, args.file_path, args.filePath].find((p): p is string => typeof p === "string");
  if (!path) return null;
  const edits: Edit[] = Array.isArray(args.edits) ? (args.edits as Edit[]) : [args as Edit];
  const lines: EditPreview["lines"] = [];
  const split = (v: unknown) => (typeof v === "string" && v.length ? v.split("\n") : []);
  if (edits.some((e) => typeof e.new_string === "string")) {
    for (const e of edits) {
      for (const text of split(e.old_string)) lines.push({ kind: "del", text });
      for (const text of split(e.new_string)) lines.push({ kind: "add", text });
    }
  } else if (typeof args.content === "string" && /write|create/i.test(name)) {
    for (const text of split(args.content)) lines.push({ kind: "add", text });
  } else {
    return null;
  }
  return { path, lines: lines.slice(0, MAX_LINES), more: Math.max(0, lines.length - MAX_LINES) };
}
