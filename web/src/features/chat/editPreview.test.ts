import { describe, expect, it } from "vitest";
import { editPreview, toolSummary } from "./editPreview";

describe("the edit preview of a tool call", () => {
  it("shows BooCode's edit_file as removed then added lines", () => {
    const p = editPreview("edit_file", JSON.stringify({ path: "src/a.rs", old_string: "let x = 1;", new_string: "let x = 2;\nlet y = 3;" }));
    expect(p).toEqual({
      path: "src/a.rs",
      lines: [
        { kind: "del", text: "let x = 1;" },
        { kind: "add", text: "let x = 2;" },
        { kind: "add", text: "let y = 3;" },
      ],
      more: 0,
    });
  });

  it("reads Claude Code's Edit, MultiEdit and Write", () => {
    expect(editPreview("Edit", JSON.stringify({ file_path: "/r/b.ts", old_string: "a", new_string: "b" }))?.lines).toHaveLength(2);
    const multi = editPreview("MultiEdit", JSON.stringify({ file_path: "/r/b.ts", edits: [{ old_string: "a", new_string: "b" }, { old_string: "c", new_string: "d" }] }));
    expect(multi?.lines.map((l) => l.text)).toEqual(["a", "b", "c", "d"]);
    const write = editPreview("Write", JSON.stringify({ file_path: "/r/new.md", content: "# Title\nbody" }));
    expect(write?.lines).toEqual([
      { kind: "add", text: "# Title" },
      { kind: "add", text: "body" },
    ]);
  });

  it("keeps a long one short, and ignores what is not an edit", () => {
    const long = editPreview("create_file", JSON.stringify({ path: "x", content: Array.from({ length: 100 }, (_, i) => `line ${i}`).join("\n") }));
    expect(long?.lines).toHaveLength(40);
    expect(long?.more).toBe(60);
    expect(editPreview("grep", JSON.stringify({ pattern: "x" }))).toBeNull();
    expect(editPreview("edit_file", "{not json")).toBeNull();
    expect(editPreview("Bash", JSON.stringify({ command: "ls", content: "x", path: "y" }))).toBeNull();
  });
});

describe("other providers' edit shapes", () => {
  it("reads opencode's camelCase edit and an ACP write titled by its file", () => {
    const oc = editPreview("edit", JSON.stringify({ filePath: "/r/a.go", oldString: "x := 1", newString: "x := 2" }));
    expect(oc?.path).toBe("/r/a.go");
    expect(oc?.lines).toEqual([
      { kind: "del", text: "x := 1" },
      { kind: "add", text: "x := 2" },
    ]);
    // An ACP diff for a new file arrives as {file_path, content} under the agent's title.
    const acp = editPreview("Edit notes.md", JSON.stringify({ file_path: "/r/notes.md", content: "# Notes" }));
    expect(acp?.lines).toEqual([{ kind: "add", text: "# Notes" }]);
    expect(editPreview("Read", JSON.stringify({ file_path: "/r/a.go" }))).toBeNull();
  });
});

describe("the one-line summary of a tool call", () => {
  it("shows a shell command, a search, a path or a URL", () => {
    expect(toolSummary(JSON.stringify({ command: "cargo test", description: "run tests" }))).toBe("$ cargo test");
    expect(toolSummary(JSON.stringify({ pattern: "fn serve", path: "src" }))).toBe("fn serve in src");
    expect(toolSummary(JSON.stringify({ filePath: "/r/a.go" }))).toBe("/r/a.go");
    expect(toolSummary(JSON.stringify({ url: "https://example.com", format: "markdown" }))).toBe("https://example.com");
    expect(toolSummary(JSON.stringify({ todos: [] }))).toBe('{"todos":[]}');
    expect(toolSummary("not json")).toBe("not json");
    expect(toolSummary(JSON.stringify({ command: "x".repeat(500) })).length).toBeLessThanOrEqual(163);
  });
});
