// This browser's preferences: notifications, palette and theme. In the header on a wide screen;
// in the drawer on a phone, where the header has no room for them.
import { useSyncExternalStore } from "react";
import { NotifyToggle } from "../features/notify/NotifyToggle";
import { PaletteMenu } from "./PaletteMenu";
import { ThemeSwitch } from "./ThemeSwitch";

const WIDE = "(min-width: 768px)";

/** Whether the window is at least Tailwind's `md` breakpoint wide, kept current. */
export function useWide(): boolean {
  return useSyncExternalStore(
    (changed) => {
      const query = window.matchMedia(WIDE);
      query.addEventListener("change", changed);
      return () => query.removeEventListener("change", changed);
    },
    () => window.matchMedia(WIDE).matches,
  );
}

export function Preferences() {
  return (
    <div className="flex items-center gap-1" role="group" aria-label="Preferences">
      <NotifyToggle />
      <PaletteMenu />
      <ThemeSwitch />
    </div>
  );
}
