// Markdown from a model or an agent: nothing in it loads from the network without a click.
// Remote images become links (a tracking pixel or `![x](http://127.0.0.1:PORT/leak)` makes no
// request); only inline `data:` images are drawn. Links open in a new tab with no referrer.
import ReactMarkdown, { type Components, defaultUrlTransform } from "react-markdown";
import rehypeHighlight from "rehype-highlight";

/** Whether an image source is drawn inline: only `data:` images, which load nothing. */
export function isInlineImage(src: string | undefined): boolean {
  return typeof src === "string" && /^data:image\/(png|gif|jpeg|webp);/i.test(src.trim());
}

const components: Components = {
  // A long line scrolls the block, which the keyboard can reach (and scroll) too.
  pre({ children }) {
    return <pre tabIndex={0}>{children}</pre>;
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

export function SafeMarkdown({ text, highlight = false }: { text: string; highlight?: boolean }) {
  return (
    <ReactMarkdown components={components} urlTransform={urlTransform} rehypePlugins={highlight ? [rehypeHighlight] : []}>
      {text}
    </ReactMarkdown>
  );
}
