import { describe, expect, it } from "vitest";
import { swipeDirection, swipeTarget } from "./swipe";

describe("swipe", () => {
  it("counts only a long, mostly sideways move", () => {
    expect(swipeDirection(-120, 10)).toBe(-1);
    expect(swipeDirection(90, -20)).toBe(1);
    expect(swipeDirection(-40, 0), "too short").toBe(0);
    expect(swipeDirection(-100, 80), "a scroll, not a swipe").toBe(0);
  });

  it("moves to the neighbouring tab and stops at the ends", () => {
    const ids = ["chat", "files", "review"];
    expect(swipeTarget(ids, "chat", -1)).toBe("files");
    expect(swipeTarget(ids, "files", 1)).toBe("chat");
    expect(swipeTarget(ids, "review", -1)).toBeNull();
    expect(swipeTarget(ids, "chat", 1)).toBeNull();
    expect(swipeTarget(ids, "gone", -1)).toBeNull();
  });
});
