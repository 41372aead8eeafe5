// @vitest-environment jsdom
import { act, cleanup, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { renderWith } from "../../test/render";
import { Composer, type ComposerProps } from "./Composer";

afterEach(cleanup);

const files = ["src/main.rs", "src/server.rs", "README.md"];

function Harness(props: Partial<ComposerProps> & { sent: [string, boolean | undefined][]; stops: number[] }) {
  const [draft, setDraft] = useState("");
  return (
    <Composer
      draft={draft}
      setDraft={setDraft}
      running={false}
      native
      lastText=""
      hasMessages={false}
      pending={false}
      onSubmit={(text, steer) => {
        props.sent.push([text, steer]);
        setDraft("");
      }}
      onStop={() => props.stops.push(1)}
      findPaths={async (q) => files.filter((f) => f.includes(q))}
      {...props}
    />
  );
}

describe("Composer", () => {
  it("completes an @ mention from the project's files with the keyboard", async () => {
    const user = userEvent.setup();
    const sent: [string, boolean | undefined][] = [];
    renderWith(<Harness sent={sent} stops={[]} />);
    const box = screen.getByRole("textbox", { name: "Message" });
    await user.type(box, "see @src/");
    const list = await screen.findByRole("listbox", { name: "Files" });
    expect(list.querySelectorAll('[role="option"]')).toHaveLength(2);
    expect(screen.getByRole("option", { name: "src/main.rs" })).toHaveAttribute("aria-selected", "true");
    await user.keyboard("{ArrowDown}");
    expect(screen.getByRole("option", { name: "src/server.rs" })).toHaveAttribute("aria-selected", "true");
    expect(box).toHaveAttribute("aria-activedescendant", screen.getByRole("option", { name: "src/server.rs" }).id);
    await user.keyboard("{Enter}");
    await act(() => new Promise((r) => requestAnimationFrame(r)));
    expect(box).toHaveValue("see @src/server.rs ");
    expect(screen.queryByRole("listbox")).toBeNull();
    expect(sent, "picking a file does not send").toEqual([]);
    await user.keyboard("{Escape}now{Enter}");
    expect(sent).toEqual([["see @src/server.rs now", undefined]]);
  });

  it("completes a $ skill with its description shown", async () => {
    const user = userEvent.setup();
    const sent: [string, boolean | undefined][] = [];
    const skills = [
      { name: "release-notes", description: "Write release notes from the changelog." },
      { name: "csv-report", description: "Summarise a CSV file." },
    ];
    renderWith(<Harness sent={sent} stops={[]} skills={skills} />);
    const box = screen.getByRole("textbox", { name: "Message" });
    await user.type(box, "use $rel");
    const list = await screen.findByRole("listbox", { name: "Skills" });
    expect(list.querySelectorAll('[role="option"]')).toHaveLength(1);
    expect(screen.getByRole("option", { name: /release-notes/ })).toHaveTextContent("Write release notes from the changelog.");
    await user.keyboard("{Tab}");
    await act(() => new Promise((r) => requestAnimationFrame(r)));
    expect(box).toHaveValue("use $release-notes ");
    await user.keyboard("for v2{Enter}");
    expect(sent).toEqual([["use $release-notes for v2", undefined]]);
  });

  it("Escape closes the completion and Shift+Enter starts a new line", async () => {
    const user = userEvent.setup();
    const sent: [string, boolean | undefined][] = [];
    renderWith(<Harness sent={sent} stops={[]} />);
    const box = screen.getByRole("textbox", { name: "Message" });
    await user.type(box, "@READ");
    await screen.findByRole("listbox", { name: "Files" });
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("listbox")).toBeNull();
    await user.keyboard("{Shift>}{Enter}{/Shift}two");
    expect(box).toHaveValue("@READ\ntwo");
    expect(sent).toEqual([]);
  });

  it("while a turn runs: Queue, Steer on BooCode's loop, and Stop", async () => {
    const user = userEvent.setup();
    const sent: [string, boolean | undefined][] = [];
    const stops: number[] = [];
    const { rerender } = renderWith(<Harness sent={sent} stops={stops} running />);
    expect(screen.queryByRole("button", { name: "Send" })).toBeNull();
    await user.type(screen.getByRole("textbox", { name: "Message" }), "also this");
    await user.click(screen.getByRole("button", { name: "Steer" }));
    expect(sent).toEqual([["also this", true]]);
    await user.click(screen.getByRole("button", { name: "Stop" }));
    expect(stops).toHaveLength(1);
    rerender(<Harness sent={sent} stops={stops} running native={false} />);
    expect(screen.queryByRole("button", { name: "Steer" }), "external agents cannot be steered").toBeNull();
    expect(screen.getByRole("button", { name: "Queue" })).toBeDisabled();
  });

  it("offers Retry and Continue once the chat has messages", async () => {
    const user = userEvent.setup();
    const sent: [string, boolean | undefined][] = [];
    renderWith(<Harness sent={sent} stops={[]} lastText="Where is serve?" hasMessages />);
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Retry" }));
    await user.click(screen.getByRole("button", { name: "Continue" }));
    expect(sent).toEqual([
      ["Where is serve?", undefined],
      ["Continue.", undefined],
    ]);
  });
});
