// @vitest-environment jsdom
import { cleanup, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import type { InboxItem, TerminalInfo } from "../../generated/types";
import { renderWith } from "../../test/render";
import { InboxButton } from "./InboxButton";
import { inboxKey } from "./useInbox";

afterEach(cleanup);

const item: InboxItem = {
  request_id: "perm_1",
  chat_id: "c1",
  session_id: "s1",
  provider: "claude-acp",
  tool: "Bash",
  summary: "touch ran.txt",
  asked_at: 0,
  state: "waiting",
  decision: null,
};

describe("InboxButton", () => {
  it("counts what waits and lists each prompt with its answers", async () => {
    const user = userEvent.setup();
    renderWith(<InboxButton waiting={1} />, [[[...inboxKey, 1], [item]]]);
    const button = screen.getByRole("button", { name: "Inbox 1" });
    expect(button).toHaveAccessibleDescription("1 permission prompt waits for you");
    await user.click(button);
    const entry = await screen.findByRole("listitem", { name: "claude-acp wants Bash" });
    expect(entry).toHaveTextContent("touch ran.txt");
    for (const name of ["Allow once", "Allow for this session", "Deny", "Deny and stop", "Open chat"]) {
      expect(screen.getByRole("button", { name })).toBeTruthy();
    }
  });

  it("lists agent terminals waiting for input and opens one in its session", async () => {
    const user = userEvent.setup();
    const tui: TerminalInfo = { id: "term_7", session_id: "s9", title: "opencode", program: "opencode", cwd: "", cols: 80, rows: 24, created_at: 0, exit: null, chat_id: "c1", waiting: true };
    renderWith(<InboxButton waiting={1} terminals={1} />, [
      [[...inboxKey, 1], [item]],
      [["inbox", "terminals", 1], [tui]],
    ]);
    const button = screen.getByRole("button", { name: "Inbox 2" });
    expect(button).toHaveAccessibleDescription("1 permission prompt waits and 1 agent terminal waits for you");
    await user.click(button);
    const entry = await screen.findByRole("listitem", { name: "opencode waits for input" });
    expect(entry.querySelector("button")?.textContent).toBe("Open terminal");
  });

  it("says so when nothing waits", async () => {
    const user = userEvent.setup();
    renderWith(<InboxButton waiting={0} />, [[[...inboxKey, 0], []]]);
    await user.click(screen.getByRole("button", { name: "Inbox" }));
    expect(await screen.findByText("Nothing is waiting.")).toBeTruthy();
  });
});
