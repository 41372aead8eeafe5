// The web fold of a turn's events must make the same message as the server's MessageBuilder:
// the fixtures are written by crates/boocode-core/tests/fold_fixtures.rs from the Rust fold.
import { describe, expect, it } from "vitest";
import fixtures from "../../generated/fold-fixtures.json";
import type { AgentEvent, Message } from "../../generated/types";
import { applyEvent } from "./reducer";

interface Case {
  name: string;
  start: Message;
  events: AgentEvent[];
  expected: Message;
}

/** The message as JSON carries it: absent and undefined fields are the same. */
const asJson = (m: Message) => JSON.parse(JSON.stringify(m)) as unknown;

describe("the fold matches boocode_core::MessageBuilder", () => {
  const cases = (fixtures as { cases: Case[] }).cases;

  it("has fixtures to check", () => {
    expect(cases.length).toBeGreaterThan(5);
  });

  for (const c of cases) {
    it(c.name, () => {
      const folded = c.events.reduce(applyEvent, c.start);
      expect(asJson(folded)).toStrictEqual(asJson(c.expected));
    });
  }
});
