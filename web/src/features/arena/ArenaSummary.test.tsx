// @vitest-environment jsdom
import { cleanup, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { Arena, Contender } from "../../generated/types";
import { renderWith } from "../../test/render";
import { ArenaSummary, arenaKey } from "./ArenaSummary";

afterEach(cleanup);

const contender = (index: number, c: Partial<Contender>): Contender => ({
  index,
  chat_id: `c${index}`,
  provider: "boocode",
  model: null,
  state: "done",
  outcome: "complete",
  wall_ms: 1500,
  tokens: 120,
  cost_usd: null,
  files_changed: ["src/lib.rs"],
  lines_added: 1,
  lines_removed: 1,
  verify_exit: 0,
  verify_output: "",
  ...c,
});

const arena: Arena = {
  id: "arena_1",
  project_id: "p",
  session_id: "s",
  prompt: "fix it",
  verify: "cargo test",
  contenders: [contender(1, { model: "a" }), contender(2, { model: "b", verify_exit: 101 }), contender(3, { provider: "claude-acp", state: "running", outcome: null, verify_exit: null, files_changed: [] })],
  files_in_common: ["src/lib.rs"],
  picked: null,
  picked_chat: null,
  discarded: false,
  include_uncommitted: false,
  verify_timeout_secs: null,
  rerun_of: null,
  created_at: 0,
};

describe("ArenaSummary", () => {
  it("scores each contender by its verify command and offers a pick only once it is done", () => {
    renderWith(<ArenaSummary arenaId="arena_1" onPicked={() => {}} />, [[arenaKey("arena_1"), arena]]);
    const row = (name: string) => screen.getByRole("row", { name });
    expect(within(row("Contender 1 boocode:a")).getByText("pass")).toBeTruthy();
    expect(within(row("Contender 2 boocode:b")).getByText("fail (101)")).toBeTruthy();
    expect(within(row("Contender 3 claude-acp")).getByText("…")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Pick contender 1" })).toBeEnabled();
    expect(screen.getByRole("button", { name: "Pick contender 3" })).toBeDisabled();
    expect(screen.getByText("Changed by all: src/lib.rs")).toBeTruthy();
  });

  it("marks the picked contender and offers no other pick", () => {
    renderWith(<ArenaSummary arenaId="arena_1" onPicked={() => {}} />, [[arenaKey("arena_1"), { ...arena, picked: 1, picked_chat: "r" }]]);
    expect(within(screen.getByRole("row", { name: "Contender 1 boocode:a" })).getByText("picked")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Pick contender 2" })).toBeDisabled();
  });

  it("offers to run a finished arena again", () => {
    const done = { ...arena, contenders: arena.contenders.map((c) => ({ ...c, state: "done" as const })) };
    renderWith(<ArenaSummary arenaId="arena_1" onPicked={() => {}} onRerun={() => {}} />, [[arenaKey("arena_1"), done]]);
    expect(screen.getByRole("button", { name: "Run again" })).toBeEnabled();
    cleanup();
    renderWith(<ArenaSummary arenaId="arena_1" onPicked={() => {}} onRerun={() => {}} />, [[arenaKey("arena_1"), arena]]);
    expect(screen.getByRole("button", { name: "Run again" })).toBeDisabled();
  });
});
