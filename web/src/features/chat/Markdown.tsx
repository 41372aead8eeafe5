// Markdown from a model or an agent: nothing in it loads from the network without a click.
// Remote images become links (a tracking pixel or `![x](http://127.0.0.1:PORT/leak)` makes no
// request); only inline `data:` images are drawn. Links open in a new tab with no referrer.
import ReactMarkdown, { type Components, defaultUrlTransform } from "react-markdown";
import { CodeBlock } from "../../lib/CodeBlock";
import { SendToTerminal } from "../terminal/SendToTerminal";

/** Whether an image source is drawn inline: only `data:` images, which load nothing. */
export function isInlineImage(src: string | undefined): boolean {
  return typeof src === "string" && /^data:image\/(png|gif|jpeg|webp);/i.test(src.trim());
}

const components: Components = {
  // Fenced code: highlighted when Shiki has loaded; a long line scrolls the block.
  pre({ children }) {
    return <>{children}</>;
  },
  code({ className, children }) {
    const text = String(children ?? "");
    const fence = /language-([\w+#-]+)/.exec(className ?? "");
    if (!fence && !text.includes("\n")) return <code>{children}</code>;
    const code = text.replace(/\n$/, "");
    return (
      <div className="relative">
        <CodeBlock code={code} lang={fence?.[1]} />
        <div className="mt-1 flex justify-end">
          <SendToTerminal code={code} />
        </div>
      </div>
    );
  },
  img({ src, alt }) {
    const source = typeof src === "string" ? src : undefined;
    if (isInlineImage(source)) return <img src={source} alt={alt ?? ""} />;
    return (
      <a href={source} target="_blank" rel="noopener noreferrer nofollow" className="remote-image" title="Remote image (not loaded)">
        {`image: ${alt || "untitled"}`}
      </a>
    );
  },
  a({ href, children }) {
    return (
      <a href={href} target="_blank" rel="noopener noreferrer nofollow">
        {children}
      </a>
    );
  },
};

/** Keeps inline `data:` images (dropped by the default), and the default's rules for the rest. */
function urlTransform(url: string, key: string): string {
  return key === "src" && isInlineImage(url) ? url : defaultUrlTransform(url);
}

export function SafeMarkdown({ text }: { text: string }) {
  return (
    <ReactMarkdown components={components} urlTransform={urlTransform}>
      {text}
    </ReactMarkdown>
  );
}
