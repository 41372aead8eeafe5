// @vitest-environment jsdom
import { cleanup, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { ChangeView } from "../../generated/types";
import { renderWith } from "../../test/render";
import { RefusedFile, ReviewPanel } from "./ReviewPanel";
import { changesKey } from "./useChanges";

afterEach(cleanup);

const diff = (path: string, from: string, to: string) => `--- a/${path}\n+++ b/${path}\n@@ -1,1 +1,1 @@\n-${from}\n+${to}\n`;
const change = (id: string, chat: string, path: string, state: ChangeView["state"], seq: number): ChangeView => ({
  id,
  chat_id: chat,
  seq,
  path,
  state,
  diff: diff(path, `old ${id}`, `new ${id}`),
});

describe("ReviewPanel", () => {
  it("groups a session's changes by chat and file, with counts and per-file actions", () => {
    renderWith(
      <ReviewPanel chats={[{ id: "c1", title: "Chat 1" }, { id: "c2", title: "Chat 2" }]} />,
      [
        [changesKey("c1"), [change("a", "c1", "src/a.rs", "pending", 1), change("b", "c1", "src/a.rs", "pending", 2), change("c", "c1", "b.rs", "applied", 3)]],
        [changesKey("c2"), [change("d", "c2", "src/a.rs", "rejected", 1)]],
      ],
    );
    const panel = screen.getByRole("region", { name: "Review the session's changes" });
    expect(panel).toHaveTextContent("2 pending · 1 applied · 4 in all · 2 chats");
    const twice = screen.getByRole("listitem", { name: "src/a.rs: 2 changes" });
    expect(within(twice).getByRole("button", { name: "Apply file" })).toBeEnabled();
    expect(within(twice).getByLabelText("2 lines added")).toBeInTheDocument();
    expect(within(twice).getAllByRole("listitem", { name: "src/a.rs, pending" })).toHaveLength(2);
    // The other chat's change of the same path is its own group.
    const other = screen.getAllByRole("listitem", { name: "src/a.rs: 1 change" })[0];
    expect(other).toHaveTextContent("Chat 2");
    expect(within(other).queryByRole("button", { name: "Apply" })).toBeNull();
    expect(within(screen.getByRole("listitem", { name: "b.rs, applied" })).getByRole("button", { name: "Rewind" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Apply all" })).toBeEnabled();
  });

  it("says when a chat proposed nothing", () => {
    renderWith(<ReviewPanel chats={[{ id: "c1", title: "Chat 1" }]} />, [[changesKey("c1"), []]]);
    expect(screen.getByRole("region", { name: "Review changes" })).toHaveTextContent("This chat has proposed no changes.");
    expect(screen.getByRole("button", { name: "Apply all" })).toBeDisabled();
  });
});

describe("RefusedFile", () => {
  it("shows a conflict as the file on disk beside the chat's version", () => {
    render(<RefusedFile rewinding={false} refusal={{ path: "a.txt", change_ids: ["x"], reason: "`a.txt` changed on disk since", conflict: diff("a.txt", "someone else", "ONE") }} />);
    const figure = screen.getByRole("figure", { name: "Conflict in a.txt" });
    expect(figure).toHaveTextContent("On disk now");
    expect(figure).toHaveTextContent("This chat's version");
    expect(figure).toHaveTextContent("someone else");
    expect(figure).toHaveTextContent("ONE");
  });

  it("names what a rewind would restore, and shows only the reason without a conflict", () => {
    const { rerender } = render(<RefusedFile rewinding refusal={{ path: "a.txt", change_ids: [], reason: "changed", conflict: diff("a.txt", "x", "y") }} />);
    expect(screen.getByRole("figure")).toHaveTextContent("What the rewind would restore");
    rerender(<RefusedFile rewinding={false} refusal={{ path: "id_rsa", change_ids: [], reason: "is a secret" }} />);
    expect(screen.queryByRole("figure")).toBeNull();
    expect(screen.getByText(/was left as it is: is a secret/)).toBeInTheDocument();
  });
});
