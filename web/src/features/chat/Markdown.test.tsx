import { describe, expect, it } from "vitest";
import { renderToStaticMarkup } from "react-dom/server";
import { SafeMarkdown, isInlineImage } from "./Markdown";

describe("SafeMarkdown", () => {
  it("renders remote images as links and never as <img>", () => {
    const html = renderToStaticMarkup(<SafeMarkdown text={"![x](http://127.0.0.1:9/leak) and ![y](//evil.example/p.png)"} />);
    expect(html).not.toContain("<img");
    expect(html).toContain('href="http://127.0.0.1:9/leak"');
    expect(html).toContain('rel="noopener noreferrer nofollow"');
  });

  it("draws inline data images only", () => {
    expect(isInlineImage("data:image/png;base64,AAAA")).toBe(true);
    expect(isInlineImage("data:image/svg+xml;base64,AAAA")).toBe(false);
    expect(isInlineImage("/api/x.png")).toBe(false);
    const html = renderToStaticMarkup(<SafeMarkdown text={"![d](data:image/png;base64,AAAA)"} />);
    expect(html).toContain('<img src="data:image/png;base64,AAAA"');
  });
});
