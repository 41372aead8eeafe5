import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { OpenTerminal } from "../terminal/opener";
import { renderToStaticMarkup } from "react-dom/server";
import { MessageView, usageLine } from "./MessageView";
import type { Message, TerminalInfo } from "../../generated/types";

const base: Omit<Message, "parts" | "status"> = {
  id: "m1",
  role: "assistant",
  kind: "regular",
  created_at: 0,
};

describe("MessageView", () => {
  it("shows a stored permission with its answer, and notices", () => {
    const message: Message = {
      ...base,
      status: "complete",
      parts: [
        { type: "permission", request_id: "perm_1", tool: "Bash", summary: "touch ran.txt", decision: "allow_once" },
        { type: "permission", request_id: "perm_2", tool: "Bash", summary: "rm -rf /", decision: null },
        { type: "notice", level: "warning", message: "Retrying the model request." },
      ],
    };
    const html = renderToStaticMarkup(<MessageView message={message} onArtifact={() => {}} />);
    expect(html).toContain('aria-label="Permission for Bash: allowed once"');
    expect(html).toContain("touch ran.txt");
    expect(html).toContain('aria-label="Permission for Bash: not answered"');
    expect(html).toContain('role="status"');
    expect(html).toContain("Retrying the model request.");
  });

  it("shows why a turn failed instead of a bare failure", () => {
    const failed: Message = {
      ...base,
      status: "failed",
      parts: [{ type: "notice", level: "error", message: "goose is not installed" }],
    };
    const html = renderToStaticMarkup(<MessageView message={failed} onArtifact={() => {}} />);
    expect(html).toContain("goose is not installed");
    expect(html).not.toContain("This reply failed.");
    const bare = renderToStaticMarkup(<MessageView message={{ ...failed, parts: [] }} onArtifact={() => {}} />);
    expect(bare).toContain("This reply failed.");
  });

  it("shows the agent's plan and the terminals it ran", () => {
    const message: Message = {
      ...base,
      status: "complete",
      parts: [
        { type: "plan", entries: [{ content: "write the test", status: "completed" }, { content: "run it", status: "in_progress" }] },
        { type: "terminal", terminal_id: "term_1", output: "3 passed", truncated: true, exit_code: 0 },
      ],
    };
    const html = renderToStaticMarkup(<MessageView message={message} onArtifact={() => {}} />);
    expect(html).toContain('aria-label="Plan"');
    expect(html).toContain('aria-label="run it: in progress"');
    expect(html).toContain("Terminal · exited with code 0 · last part");
    expect(html).toContain("3 passed");
  });

  it("shows a running agent terminal's screen with a button that opens it, and an ended one without", () => {
    const message: Message = { ...base, status: "complete", parts: [{ type: "terminal", terminal_id: "term_9", output: " Tiny TUI\n> ", truncated: false }] };
    const opened: string[] = [];
    const tui: TerminalInfo = { id: "term_9", session_id: "s1", title: "opencode", program: "opencode", cwd: "", cols: 100, rows: 30, created_at: 0, exit: null, chat_id: "c1", waiting: true };
    const { unmount } = render(
      <OpenTerminal.Provider value={{ live: [tui], open: (id) => opened.push(id) }}>
        <MessageView message={message} onArtifact={() => {}} />
      </OpenTerminal.Provider>,
    );
    expect(screen.getByLabelText("opencode screen").textContent).toBe(" Tiny TUI\n> ");
    expect(screen.getByText("opencode · running")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Open opencode terminal" }));
    expect(opened).toEqual(["term_9"]);
    unmount();
    // Gone with a restart: the screen stays, with no button.
    render(<MessageView message={message} onArtifact={() => {}} />);
    expect(screen.getByText("Terminal · ended")).toBeTruthy();
    expect(screen.queryByRole("button", { name: /terminal$/ })).toBeNull();
    cleanup();
  });

  it("offers the four answers to a prompt its running turn waits on, and none once the turn ended", () => {
    const asking: Message = {
      ...base,
      status: "streaming",
      parts: [{ type: "permission", request_id: "perm_3", tool: "Bash", summary: "rm -rf build", decision: null }],
    };
    const render = (m: Message) =>
      renderToStaticMarkup(
        <QueryClientProvider client={new QueryClient()}>
          <MessageView message={m} onArtifact={() => {}} />
        </QueryClientProvider>,
      );
    const html = render(asking);
    expect(html).toContain('aria-label="Permission for Bash: waiting for you"');
    expect(html).toContain('aria-label="Answer: Bash: rm -rf build"');
    for (const answer of ["Allow once", "Allow for this session", "Deny", "Deny and stop"]) expect(html).toContain(`>${answer}</button>`);
    const ended = render({ ...asking, status: "cancelled" });
    expect(ended).not.toContain("Allow once");
    expect(ended).toContain('aria-label="Permission for Bash: not answered"');
  });

  it("shows a finished turn's tokens and reported cost", () => {
    expect(usageLine({ prompt_tokens: 12000, completion_tokens: 345, ctx_used: 12345 })).toBe("12,000 in · 345 out");
    expect(usageLine({ prompt_tokens: 10, completion_tokens: 2, ctx_used: 12, cost_usd: 0.01234 })).toBe("10 in · 2 out · $0.0123");
    expect(usageLine({ prompt_tokens: 0, completion_tokens: 0, ctx_used: 0 })).toBeNull();
    expect(usageLine(undefined)).toBeNull();
    const html = renderToStaticMarkup(
      <MessageView message={{ ...base, status: "complete", parts: [{ type: "text", text: "hi" }], usage: { prompt_tokens: 5, completion_tokens: 1, ctx_used: 6 } }} onArtifact={() => {}} />,
    );
    expect(html).toContain('aria-label="Usage of this turn">5 in · 1 out<');
  });

  it("renders external agents' tool calls: a shell command, its error, an opencode edit's diff", () => {
    const message: Message = {
      ...base,
      status: "complete",
      parts: [
        { type: "tool_call", id: "t1", name: "Bash", arguments: JSON.stringify({ command: "cargo test", description: "tests" }) },
        { type: "tool_result", call_id: "t1", name: "Bash", content: "error: 2 tests failed", is_error: true, duration_ms: 1200 },
        { type: "tool_call", id: "t2", name: "edit", arguments: JSON.stringify({ filePath: "/r/a.go", oldString: "x := 1", newString: "x := 2" }) },
        { type: "tool_result", call_id: "t2", name: "edit", content: "ok", is_error: false, duration_ms: 3 },
      ],
    };
    const html = renderToStaticMarkup(<MessageView message={message} onArtifact={() => {}} />);
    expect(html).toContain("$ cargo test");
    expect(html).toContain("failed · 1200 ms");
    expect(html).toContain('aria-label="Error from Bash"');
    expect(html).toContain('aria-label="Changes to /r/a.go"');
    expect(html).toContain("- x := 1");
    expect(html).toContain("+ x := 2");
    expect(html).toContain("done · 3 ms");
  });
});
