// What a chat message needs to show a terminal its agent runs in: the session's terminals that
// are still running, and a way to open one as a pane.
import { createContext } from "react";
import type { TerminalInfo } from "../../generated/types";

export interface TerminalOpener {
  /** The session's terminals whose program still runs. */
  live: TerminalInfo[];
  /** Opens the terminal as a pane (or brings its tab forward). */
  open: (terminalId: string) => void;
}

export const OpenTerminal = createContext<TerminalOpener>({ live: [], open: () => undefined });
