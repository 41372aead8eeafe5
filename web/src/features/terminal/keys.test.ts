import { describe, expect, it } from "vitest";
import { ctrlKey, KEY_ROW } from "./keys";

describe("terminal keys", () => {
  it("turns a letter into its control character", () => {
    expect(ctrlKey("c")).toBe("\x03");
    expect(ctrlKey("D")).toBe("\x04");
    expect(ctrlKey("[")).toBe("\x1b");
    expect(ctrlKey("1")).toBe("1");
  });

  it("names every key of the phone row and sends the arrows' escape sequences", () => {
    expect(KEY_ROW.map((k) => k.label)).toEqual(["Esc", "Tab", "←", "↑", "↓", "→", "|", "~"]);
    expect(KEY_ROW.find((k) => k.name === "Up")?.seq).toBe("\x1b[A");
  });
});
