// `@path` mentions in a message: the token being typed (for completion) and, on send, the files
// mentioned, attached below the text so every provider sees their content.

/** What is being completed: `@` a file path, `$` a skill's name. */
export type Trigger = "@" | "$";

/**
 * The `@query` (a file) or `$query` (a skill) being typed just before the caret, or null when
 * the caret is not in one. A skill's name is lowercase letters, digits and hyphens.
 */
export function mentionAt(text: string, caret: number): { start: number; query: string; trigger: Trigger } | null {
  const before = text.slice(0, caret);
  const file = /(^|\s)@([^\s@]*)$/.exec(before);
  if (file) return { start: caret - file[2].length - 1, query: file[2], trigger: "@" };
  const skill = /(^|\s)\$([a-z0-9-]*)$/.exec(before);
  if (skill) return { start: caret - skill[2].length - 1, query: skill[2], trigger: "$" };
  return null;
}

/** `text` with the mention starting at `start` (up to the caret) replaced by `@path ` (or `$name `). */
export function completeMention(text: string, start: number, caret: number, path: string, trigger: Trigger = "@"): { text: string; caret: number } {
  const spaced = /^\s/.test(text.slice(caret));
  const inserted = spaced ? `${trigger}${path}` : `${trigger}${path} `;
  return { text: text.slice(0, start) + inserted + text.slice(caret), caret: start + inserted.length };
}

/** The skills whose name contains `query`, those starting with it first, at most `limit`. */
export function matchSkills<T extends { name: string }>(skills: T[], query: string, limit = 8): T[] {
  const q = query.toLowerCase();
  const hits = skills.filter((s) => s.name.includes(q));
  hits.sort((a, b) => Number(!a.name.startsWith(q)) - Number(!b.name.startsWith(q)) || a.name.localeCompare(b.name));
  return hits.slice(0, limit);
}

/** The distinct paths mentioned as `@path` (a mention ends at whitespace; trailing punctuation is dropped). */
export function mentionedPaths(text: string): string[] {
  const paths = new Set<string>();
  for (const m of text.matchAll(/(^|\s)@([^\s@]+)/g)) {
    const path = m[2].replace(/[.,;:!?)\]]+$/, "");
    if (path) paths.add(path);
  }
  return [...paths];
}

/** Most files attached from one message, and most characters of each. */
export const MAX_ATTACHED = 5;
export const MAX_ATTACHED_CHARS = 64 * 1024;

/**
 * `text` with each mentioned file that `read` finds appended as a fenced block (at most
 * MAX_ATTACHED, each cut at MAX_ATTACHED_CHARS). A mention that is not a readable project file
 * (an e-mail, a handle, a refused path) is left as written.
 */
export async function attachMentions(text: string, read: (path: string) => Promise<string | null>): Promise<string> {
  const paths = mentionedPaths(text).slice(0, MAX_ATTACHED);
  const found = await Promise.all(paths.map(async (path) => ({ path, content: await read(path).catch(() => null) })));
  const blocks = found
    .filter((f): f is { path: string; content: string } => f.content !== null)
    .map(({ path, content }) => {
      const cut = content.length > MAX_ATTACHED_CHARS;
      const body = cut ? content.slice(0, MAX_ATTACHED_CHARS) : content;
      const fence = body.includes("```") ? "````" : "```";
      return `\`${path}\`${cut ? ` (first ${MAX_ATTACHED_CHARS} characters)` : ""}:\n${fence}\n${body}\n${fence}`;
    });
  return blocks.length ? `${text}\n\n${blocks.join("\n\n")}` : text;
}
