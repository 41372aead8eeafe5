import { describe, expect, it } from "vitest";
import { sessionUsageLine } from "./SessionUsage";

describe("sessionUsageLine", () => {
  it("sums every provider's turns, tokens and cost", () => {
    expect(
      sessionUsageLine([
        { key: "boocode", turns: 3, prompt_tokens: 1200, completion_tokens: 40, cost_usd: 0 },
        { key: "claude-acp", turns: 1, prompt_tokens: 10, completion_tokens: 5, cost_usd: 0.0123 },
      ]),
    ).toBe("4 turns · 1,210 in · 45 out · $0.0123");
    expect(sessionUsageLine([{ key: "boocode", turns: 1, prompt_tokens: 5, completion_tokens: 1, cost_usd: 0 }])).toBe("1 turn · 5 in · 1 out");
    expect(sessionUsageLine([])).toBeNull();
  });
});
