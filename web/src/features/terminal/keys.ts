// The phone's key row for a terminal, and what Ctrl does to the next key.

export const KEY_ROW: { label: string; name: string; seq: string }[] = [
  { label: "Esc", name: "Escape", seq: "\x1b" },
  { label: "Tab", name: "Tab", seq: "\t" },
  { label: "←", name: "Left", seq: "\x1b[D" },
  { label: "↑", name: "Up", seq: "\x1b[A" },
  { label: "↓", name: "Down", seq: "\x1b[B" },
  { label: "→", name: "Right", seq: "\x1b[C" },
  { label: "|", name: "Pipe", seq: "|" },
  { label: "~", name: "Tilde", seq: "~" },
];

/** The control character for `key` (Ctrl+C is 0x03), or the key itself when it has none. */
export function ctrlKey(key: string): string {
  const c = key.toUpperCase().charCodeAt(0);
  if (c >= 64 && c <= 95) return String.fromCharCode(c - 64);
  if (key === "?") return "\x7f";
  return key;
}
