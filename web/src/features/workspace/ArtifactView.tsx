import { useEffect, useRef } from "react";
import { SafeMarkdown } from "../chat/Markdown";
import type { Artifact } from "../chat/MessageView";

/** An artifact: HTML in a sandboxed frame with no network, Markdown rendered safely. */
export function ArtifactView({ artifact }: { artifact: Artifact }) {
  const frame = useRef<HTMLIFrameElement>(null);
  useEffect(() => {
    if (artifact.kind !== "html") return;
    // The frame page (served with its own no-network policy) asks for its content once loaded.
    const onMessage = (e: MessageEvent) => {
      if (e.source === frame.current?.contentWindow && e.data?.type === "boocode-artifact-ready") {
        frame.current?.contentWindow?.postMessage({ type: "boocode-artifact", html: artifact.source }, "*");
      }
    };
    window.addEventListener("message", onMessage);
    return () => window.removeEventListener("message", onMessage);
  }, [artifact]);
  if (artifact.kind === "html") {
    // Scripts may run, but with no same-origin access (no cookies, no API) and, by the frame's
    // own Content-Security-Policy, no network at all.
    return <iframe ref={frame} className="min-h-0 flex-1 border-0 bg-white" title={artifact.title} sandbox="allow-scripts" src="/artifact-frame" data-testid="artifact-frame" />;
  }
  return (
    <div className="markdown min-h-0 flex-1 overflow-auto p-4">
      <SafeMarkdown text={artifact.source} />
    </div>
  );
}
