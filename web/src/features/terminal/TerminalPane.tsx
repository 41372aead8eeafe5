// A terminal pane: xterm.js on the terminal's WebSocket (raw bytes as binary frames, JSON control
// frames for resize, exit and reset). Loaded on demand with its pane. Copy and paste with
// Ctrl+Shift+C / Ctrl+Shift+V, search with Ctrl+Shift+F, links open in a new tab; on a phone a
// key row gives Esc, Ctrl, Tab, arrows, | and ~. A terminal outlives its viewers: a reload or
// another device reattaches and gets the scrollback first.
import { FitAddon } from "@xterm/addon-fit";
import { SearchAddon } from "@xterm/addon-search";
import { WebLinksAddon } from "@xterm/addon-web-links";
import { Terminal } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";
import { useEffect, useRef, useState } from "react";
import type { TerminalControl } from "../../generated/types";
import { ctrlKey, KEY_ROW } from "./keys";

type Phase = { kind: "connecting" } | { kind: "live" } | { kind: "exited"; code: number | null; signaled: boolean } | { kind: "gone" };

function themeColors(): { background: string; foreground: string; cursor: string } {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return { background: v("--field", "#0d0f13"), foreground: v("--fg", "#e6e8ee"), cursor: v("--accent", "#5aa9e6") };
}

export function TerminalPane({ terminalId, onNew }: { terminalId: string; onNew: () => void }) {
  const host = useRef<HTMLDivElement>(null);
  const socket = useRef<WebSocket | null>(null);
  const term = useRef<Terminal | null>(null);
  const search = useRef<SearchAddon | null>(null);
  const [phase, setPhase] = useState<Phase>({ kind: "connecting" });
  const [ctrl, setCtrl] = useState(false);
  const [finding, setFinding] = useState(false);
  const [needle, setNeedle] = useState("");
  const ctrlRef = useRef(false);
  ctrlRef.current = ctrl;

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    let disposed = false;
    // screenReaderMode keeps the screen's text in an accessible tree beside the renderer.
    const t = new Terminal({ cursorBlink: true, fontFamily: "ui-monospace, SFMono-Regular, Menlo, monospace", fontSize: 13, scrollback: 10_000, theme: themeColors(), allowProposedApi: true, screenReaderMode: true });
    const fit = new FitAddon();
    const finder = new SearchAddon();
    t.loadAddon(fit);
    t.loadAddon(finder);
    t.loadAddon(new WebLinksAddon((_e, uri) => window.open(uri, "_blank", "noopener,noreferrer")));
    term.current = t;
    search.current = finder;
    const encoder = new TextEncoder();
    const send = (data: string | Uint8Array) => {
      const ws = socket.current;
      if (ws?.readyState === WebSocket.OPEN) ws.send(typeof data === "string" ? encoder.encode(data) : data);
    };
    const sendSize = () => {
      const ws = socket.current;
      if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "resize", cols: t.cols, rows: t.rows } satisfies TerminalControl));
    };

    // Fonts first, so the first fit measures the real cell size.
    void document.fonts.ready.then(async () => {
      if (disposed) return;
      t.open(el);
      // The GPU renderer where the browser has WebGL; xterm's DOM renderer otherwise.
      try {
        const { WebglAddon } = await import("@xterm/addon-webgl");
        const webgl = new WebglAddon();
        webgl.onContextLoss(() => webgl.dispose());
        t.loadAddon(webgl);
      } catch {
        // DOM renderer.
      }
      fit.fit();
      t.attachCustomKeyEventHandler((e) => {
        if (e.type !== "keydown" || !e.ctrlKey || !e.shiftKey) return true;
        const key = e.key.toLowerCase();
        if (key === "c" && t.hasSelection()) {
          void navigator.clipboard?.writeText(t.getSelection());
          return false;
        }
        if (key === "v") {
          void navigator.clipboard?.readText().then((text) => t.paste(text));
          return false;
        }
        if (key === "f") {
          setFinding(true);
          return false;
        }
        return true;
      });
      t.onData((data) => {
        if (ctrlRef.current && data.length === 1) {
          setCtrl(false);
          send(ctrlKey(data));
          return;
        }
        send(data);
      });
      t.onBinary((data) => send(Uint8Array.from(data, (c) => c.charCodeAt(0))));
      t.onResize(sendSize);

      const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/terminals/${terminalId}/ws`;
      const ws = new WebSocket(url);
      ws.binaryType = "arraybuffer";
      socket.current = ws;
      let opened = false;
      ws.onopen = () => {
        opened = true;
        setPhase({ kind: "live" });
        sendSize();
      };
      ws.onmessage = (e) => {
        if (typeof e.data === "string") {
          const control = JSON.parse(e.data) as TerminalControl;
          if (control.type === "exit") setPhase({ kind: "exited", code: control.code, signaled: control.signaled });
          if (control.type === "reset") t.reset();
          return;
        }
        t.write(new Uint8Array(e.data as ArrayBuffer));
      };
      ws.onclose = () => {
        if (disposed) return;
        // Refused at the handshake: the terminal is gone (closed, or ended by a restart).
        if (!opened) setPhase({ kind: "gone" });
        else setPhase((p) => (p.kind === "exited" ? p : { kind: "gone" }));
      };
    });

    const observer = new ResizeObserver(() => {
      if (t.element) fit.fit();
    });
    observer.observe(el);
    return () => {
      disposed = true;
      observer.disconnect();
      socket.current?.close();
      socket.current = null;
      t.dispose();
      term.current = null;
    };
  }, [terminalId]);

  const key = (seq: string) => {
    const ws = socket.current;
    if (ws?.readyState === WebSocket.OPEN) ws.send(new TextEncoder().encode(seq));
    term.current?.focus();
  };

  return (
    <section className="flex min-h-0 flex-1 flex-col" aria-label="Terminal" data-testid="terminal-pane">
      {finding && (
        <form
          className="flex gap-2 border-b border-line p-1"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            search.current?.findNext(needle);
          }}
        >
          <input className="field min-w-0 flex-1 py-1 text-sm" aria-label="Search the terminal" value={needle} autoFocus onChange={(e) => setNeedle(e.target.value)} onKeyDown={(e) => e.key === "Escape" && setFinding(false)} />
          <button type="button" className="btn" onClick={() => search.current?.findPrevious(needle)}>Previous</button>
          <button type="submit" className="btn">Next</button>
          <button type="button" className="btn" onClick={() => setFinding(false)}>Close</button>
        </form>
      )}
      <div ref={host} className="min-h-0 flex-1 bg-field p-1" data-testid="terminal" />
      {phase.kind === "exited" && (
        <p role="status" className="notice m-1">
          The program {phase.signaled ? "was stopped" : `exited with code ${phase.code ?? "?"}`}. <button className="btn" onClick={onNew}>New terminal</button>
        </p>
      )}
      {phase.kind === "gone" && (
        <p role="status" className="notice warning m-1">
          This terminal has ended (it was closed, or the server restarted). <button className="btn" onClick={onNew}>New terminal</button>
        </p>
      )}
      <div className="flex gap-1 overflow-x-auto border-t border-line p-1 md:hidden" role="toolbar" aria-label="Terminal keys">
        <button type="button" className="btn" aria-pressed={ctrl} onClick={() => setCtrl(!ctrl)}>Ctrl</button>
        {KEY_ROW.map((k) => (
          <button key={k.label} type="button" className="btn" aria-label={k.name} onClick={() => key(k.seq)}>
            {k.label}
          </button>
        ))}
      </div>
    </section>
  );
}
