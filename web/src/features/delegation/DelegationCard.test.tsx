// @vitest-environment jsdom
import { cleanup, fireEvent, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Chat, DelegateResult, Part } from "../../generated/types";
import { renderWith } from "../../test/render";
import { DelegationCard } from "./DelegationCard";
import { Lineage } from "./Lineage";
import { OpenChat } from "./opener";

afterEach(cleanup);

const call: Extract<Part, { type: "tool_call" }> = {
  type: "tool_call",
  id: "d1",
  name: "delegate",
  arguments: JSON.stringify({ prompt: "Write a.txt\nand more", model: "child-a", writes: true }),
};

const done: DelegateResult = {
  chat_id: "child",
  provider: "boocode",
  outcome: "complete",
  answer: "wrote it",
  files_changed: [{ path: "a.txt", added: 3, removed: 0 }],
  verify: { command: "test -f a.txt", exit_code: 0, output: "" },
  tokens: 150,
  cost_usd: null,
  note: "",
};

const chat = (id: string, c: Partial<Chat>): Chat => ({
  id,
  session_id: "s",
  title: id,
  agent: null,
  provider: "boocode",
  mode: "ask",
  model: null,
  thinking: null,
  web: null,
  tool_tier: null,
  worktree: null,
  workdir: null,
  parent: null,
  created_at: 0,
  updated_at: 0,
  archived: false,
  ...c,
});

const chats = [chat("parent", { title: "Plan" }), chat("child", { title: "↳ Write a.txt", parent: "parent", worktree: "wt_1" }), chat("reader", { title: "↳ Where?", parent: "parent" })];

describe("DelegationCard", () => {
  it("says who a running delegation went to", () => {
    renderWith(<DelegationCard call={call} />);
    expect(screen.getByRole("group", { name: "Delegated to boocode:child-a: running…" })).toHaveTextContent("writes · Write a.txt");
    expect(screen.queryByRole("button", { name: "Open child chat" })).toBeNull();
  });

  it("shows the child's outcome, files and verify result, opens the child and offers a merge", () => {
    const open = vi.fn();
    renderWith(
      <OpenChat.Provider value={{ chats, open }}>
        <DelegationCard call={call} result={{ type: "tool_result", call_id: "d1", name: "delegate", content: JSON.stringify(done), is_error: false }} />
      </OpenChat.Provider>,
    );
    const card = screen.getByRole("group", { name: "Delegated to boocode:child-a: complete" });
    expect(within(card).getByText("verify passed:")).toBeTruthy();
    expect(within(card).getByRole("list", { name: "Files the child changed" })).toHaveTextContent("a.txt +3 −0");
    fireEvent.click(within(card).getByRole("button", { name: "Open child chat" }));
    expect(open).toHaveBeenCalledWith("child");
    expect(within(card).getByRole("button", { name: "Merge into this chat" })).toBeEnabled();
  });

  it("shows a refused delegation's reason and nothing to open", () => {
    renderWith(<DelegationCard call={call} result={{ type: "tool_result", call_id: "d1", name: "delegate", content: "delegation stopped: max depth reached", is_error: true }} />);
    const card = screen.getByRole("group", { name: "Delegated to boocode:child-a: not delegated" });
    expect(card).toHaveTextContent("delegation stopped: max depth reached");
    expect(within(card).queryByRole("button")).toBeNull();
  });
});

describe("Lineage", () => {
  it("nests a parent's children under it", () => {
    const open = vi.fn();
    renderWith(
      <OpenChat.Provider value={{ chats, open }}>
        <Lineage chatId="parent" />
      </OpenChat.Provider>,
    );
    const list = screen.getByRole("list", { name: "Delegated chats" });
    expect(within(list).getAllByRole("button").map((b) => b.textContent)).toEqual(["↳ Write a.txt", "↳ Where?"]);
    fireEvent.click(within(list).getByRole("button", { name: "↳ Where?" }));
    expect(open).toHaveBeenCalledWith("reader");
  });

  it("names a child's parent and offers a merge only to a child that wrote", () => {
    renderWith(
      <OpenChat.Provider value={{ chats, open: () => undefined }}>
        <Lineage chatId="child" />
      </OpenChat.Provider>,
    );
    expect(screen.getByRole("navigation", { name: "Delegation" })).toHaveTextContent("Delegated by");
    expect(screen.getByRole("button", { name: "Plan" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Merge into parent" })).toBeTruthy();
    cleanup();
    renderWith(
      <OpenChat.Provider value={{ chats, open: () => undefined }}>
        <Lineage chatId="reader" />
      </OpenChat.Provider>,
    );
    expect(screen.queryByRole("button", { name: "Merge into parent" })).toBeNull();
  });

  it("shows nothing for a chat outside any delegation", () => {
    const { container } = renderWith(<Lineage chatId="alone" />);
    expect(container.textContent).toBe("");
  });
});
