import { describe, expect, it } from "vitest";
import { activeTabs, openTab, parseLayout, sameTabs, withActiveTabs, type Pane } from "./layout";

const chat = (id: string) => ({ id, kind: "chat" as const, chatId: id, title: id });
const panes: Pane[] = [
  { tabs: [chat("a"), chat("b")], active: "a" },
  { tabs: [{ id: "files", kind: "files", title: "Files" }], active: "files" },
];

describe("the layout", () => {
  it("takes the active tabs the address names, where the pane has them", () => {
    expect(activeTabs(withActiveTabs(panes, "b,files"))).toBe("b,files");
    expect(activeTabs(withActiveTabs(panes, "zzz,b"))).toBe("a,files");
    expect(withActiveTabs(panes, null)).toBe(panes);
  });

  it("opens a tab once, in the pane asked for, and focuses it", () => {
    const once = openTab(panes, chat("c"), 0);
    const twice = openTab(once, chat("c"), 0);
    expect(twice[0].tabs.map((t) => t.id)).toEqual(["a", "b", "c"]);
    expect(twice[0].active).toBe("c");
    expect(openTab(panes, chat("d"), 9)[1].active).toBe("d");
    expect(panes[0].tabs).toHaveLength(2);
  });

  it("ignores a saved layout it does not understand", () => {
    expect(parseLayout(null)).toBeNull();
    expect(parseLayout([{ nope: 1 }])).toBeNull();
    expect(parseLayout(panes)).toEqual(panes);
  });

  it("knows a layout with the same tabs, whichever is active", () => {
    expect(sameTabs(panes, withActiveTabs(panes, "b,files"))).toBe(true);
    expect(sameTabs(panes, openTab(panes, chat("c"), 0))).toBe(false);
    expect(sameTabs(panes, panes.slice(0, 1))).toBe(false);
  });
});
