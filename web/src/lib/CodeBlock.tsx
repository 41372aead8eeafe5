import { useEffect, useState } from "react";
import { highlight } from "./highlight";

/**
 * A code block: shown as plain text at once, then highlighted once Shiki has loaded (a while
 * after the last change, so streaming code is not highlighted on every token). Scrolls, and the
 * keyboard can reach it.
 */
export function CodeBlock({ code, lang, className }: { code: string; lang?: string; className?: string }) {
  const [html, setHtml] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    const t = setTimeout(() => {
      highlight(code, lang)
        .then((h) => current && setHtml(h))
        .catch(() => current && setHtml(null));
    }, 150);
    return () => {
      current = false;
      clearTimeout(t);
    };
  }, [code, lang]);
  if (html !== null) {
    // Shiki escapes the code it returns.
    return <div className={`code-block ${className ?? ""}`} tabIndex={0} dangerouslySetInnerHTML={{ __html: html }} />;
  }
  return (
    <div className={`code-block ${className ?? ""}`} tabIndex={0}>
      <pre className="shiki">
        <code>{code}</code>
      </pre>
    </div>
  );
}
