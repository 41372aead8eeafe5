import { describe, expect, it } from "vitest";
import { LONG_TURN_MS, NoteWatch } from "./notifier";

describe("NoteWatch", () => {
  it("notes a prompt when the inbox grows, not when it shrinks", () => {
    const w = new NoteWatch();
    expect(w.inbox(1)?.tag).toBe("inbox");
    expect(w.inbox(1)).toBeNull();
    expect(w.inbox(0)).toBeNull();
    expect(w.inbox(2)?.body).toBe("2 permission prompts wait.");
  });

  it("notes the end of a long turn only", () => {
    const w = new NoteWatch();
    expect(w.status("c1", "streaming", 0)).toBeNull();
    expect(w.status("c1", "waiting_for_input", 1000)).toBeNull();
    expect(w.status("c1", "streaming", 2000)).toBeNull();
    const done = w.status("c1", "idle", LONG_TURN_MS + 5000, "Chat 1");
    expect(done?.title).toBe("BooCode: a turn finished");
    expect(done?.body).toBe("Chat 1, after 25 s.");
    expect(w.status("c2", "streaming", 0)).toBeNull();
    expect(w.status("c2", "idle", LONG_TURN_MS - 1), "a short turn is not worth one").toBeNull();
    expect(w.status("c3", "idle", 99_999), "an end never seen starting").toBeNull();
    w.status("c4", "streaming", 0);
    expect(w.status("c4", "error", LONG_TURN_MS)?.title).toBe("BooCode: a turn failed");
  });
});
