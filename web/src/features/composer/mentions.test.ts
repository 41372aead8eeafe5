import { describe, expect, it } from "vitest";
import { attachMentions, completeMention, MAX_ATTACHED, matchSkills, mentionAt, mentionedPaths } from "./mentions";

describe("mentions", () => {
  it("finds the mention being typed only right after whitespace or the start", () => {
    expect(mentionAt("look at @src/ma", 15)).toEqual({ start: 8, query: "src/ma", trigger: "@" });
    expect(mentionAt("@", 1)).toEqual({ start: 0, query: "", trigger: "@" });
    expect(mentionAt("mail me@host", 12)).toBeNull();
    expect(mentionAt("@done and more", 14)).toBeNull();
  });

  it("finds a $skill being typed, and not a price or a shell variable mid-word", () => {
    expect(mentionAt("use $rel", 8)).toEqual({ start: 4, query: "rel", trigger: "$" });
    expect(mentionAt("costs 5$", 8)).toBeNull();
    expect(mentionAt("echo $HOME", 10)).toBeNull();
    expect(completeMention("use $rel now", 4, 8, "release-notes", "$")).toEqual({ text: "use $release-notes now", caret: 18 });
  });

  it("ranks skills starting with the query first", () => {
    const skills = [{ name: "csv-report" }, { name: "report-bug" }, { name: "release-notes" }];
    expect(matchSkills(skills, "re").map((s) => s.name)).toEqual(["release-notes", "report-bug", "csv-report"]);
    expect(matchSkills(skills, "zzz")).toEqual([]);
  });

  it("completes the mention and puts the caret after it", () => {
    const done = completeMention("see @ser now", 4, 8, "src/server.rs");
    expect(done.text).toBe("see @src/server.rs now");
    expect(done.caret).toBe(18);
    expect(completeMention("@ma", 0, 3, "main.rs")).toEqual({ text: "@main.rs ", caret: 9 });
  });

  it("lists each mentioned path once, without trailing punctuation", () => {
    expect(mentionedPaths("@a.rs and @b/c.ts, then @a.rs. me@x.com")).toEqual(["a.rs", "b/c.ts"]);
  });

  it("attaches the files it can read and leaves other mentions alone", async () => {
    const files: Record<string, string> = { "src/a.rs": "fn a() {}", "doc.md": "has ``` fences" };
    const out = await attachMentions("compare @src/a.rs with @doc.md, ask @someone", async (p) => files[p] ?? null);
    expect(out.startsWith("compare @src/a.rs with @doc.md, ask @someone\n\n")).toBe(true);
    expect(out).toContain("`src/a.rs`:\n```\nfn a() {}\n```");
    expect(out).toContain("`doc.md`:\n````\nhas ``` fences\n````");
    expect(out).not.toContain("`someone`");
  });

  it("bounds how much one message attaches", async () => {
    const text = Array.from({ length: MAX_ATTACHED + 3 }, (_, i) => `@f${i}`).join(" ");
    const asked: string[] = [];
    await attachMentions(text, async (p) => {
      asked.push(p);
      return "x".repeat(100_000);
    });
    expect(asked).toHaveLength(MAX_ATTACHED);
    const out = await attachMentions("@big", async () => "y".repeat(100_000));
    expect(out).toContain("(first 65536 characters)");
    expect(out.length).toBeLessThan(70_000);
  });

  it("a text without readable mentions is sent as written", async () => {
    expect(await attachMentions("plain text", async () => "never")).toBe("plain text");
    expect(await attachMentions("@gone", async () => null)).toBe("@gone");
  });
});
