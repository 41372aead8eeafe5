// Commands the palette (or a shortcut) asks the open workspace to run. The workspace owns its
// layout; the palette only names what it wants.
export type WorkspaceCommand = "new-chat" | "open-files" | "split" | "tool-stats" | "settings" | "new-terminal";

const EVENT = "boocode:workspace-command";

export function runWorkspaceCommand(command: WorkspaceCommand): void {
  window.dispatchEvent(new CustomEvent<WorkspaceCommand>(EVENT, { detail: command }));
}

/** Calls `handler` for each workspace command until the returned function is called. */
export function onWorkspaceCommand(handler: (command: WorkspaceCommand) => void): () => void {
  const listener = (e: Event) => handler((e as CustomEvent<WorkspaceCommand>).detail);
  window.addEventListener(EVENT, listener);
  return () => window.removeEventListener(EVENT, listener);
}
