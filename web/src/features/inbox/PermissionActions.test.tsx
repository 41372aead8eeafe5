// @vitest-environment jsdom
import { cleanup, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import type { PermissionDecision } from "../../generated/types";
import { decisionForKey, PermissionButtons } from "./PermissionActions";

afterEach(cleanup);

describe("PermissionButtons", () => {
  it("answers with a click or a key pressed in the card", async () => {
    const user = userEvent.setup();
    const answers: PermissionDecision[] = [];
    render(<PermissionButtons what="Bash: rm -rf build" pending={false} error={null} onAnswer={(d) => answers.push(d)} />);
    const group = screen.getByRole("group", { name: "Answer: Bash: rm -rf build" });
    expect(group).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Allow for this session" }));
    screen.getByRole("button", { name: "Deny" }).focus();
    await user.keyboard("3");
    await user.keyboard("y");
    await user.keyboard("X");
    expect(answers).toEqual(["allow_session", "deny", "allow_once", "deny_and_stop"]);
    expect(screen.getByRole("button", { name: "Allow once" })).toHaveAttribute("aria-keyshortcuts", "Y 1");
  });

  it("ignores other keys, modified keys and presses while an answer is on its way", async () => {
    const user = userEvent.setup();
    const answers: PermissionDecision[] = [];
    const { rerender } = render(<PermissionButtons what="Edit" pending={false} error={null} onAnswer={(d) => answers.push(d)} />);
    screen.getByRole("button", { name: "Deny" }).focus();
    await user.keyboard("q{Control>}y{/Control}{Alt>}n{/Alt}");
    expect(answers).toEqual([]);
    rerender(<PermissionButtons what="Edit" pending error="the prompt was already answered" onAnswer={(d) => answers.push(d)} />);
    expect(screen.getByRole("alert")).toHaveTextContent("already answered");
    for (const b of screen.getAllByRole("button")) expect(b).toBeDisabled();
    expect(answers).toEqual([]);
  });

  it("maps keys to decisions", () => {
    expect(decisionForKey("1")).toBe("allow_once");
    expect(decisionForKey("S")).toBe("allow_session");
    expect(decisionForKey("4")).toBe("deny_and_stop");
    expect(decisionForKey("Enter")).toBeNull();
  });
});
