// A horizontal swipe on a touch screen: the phone's way between a pane's tabs.

/** How far (px) a finger must travel sideways, and how much more sideways than up or down. */
export const SWIPE_MIN_PX = 60;

/** -1 for a swipe to the left (next tab), 1 to the right (previous), 0 for anything else. */
export function swipeDirection(dx: number, dy: number): -1 | 0 | 1 {
  if (Math.abs(dx) < SWIPE_MIN_PX || Math.abs(dx) < 2 * Math.abs(dy)) return 0;
  return dx < 0 ? -1 : 1;
}

/** The tab id a swipe leads to from `active` among `ids` (none past either end). */
export function swipeTarget(ids: string[], active: string, direction: -1 | 0 | 1): string | null {
  const i = ids.indexOf(active);
  if (direction === 0 || i < 0) return null;
  return ids[i - direction] ?? null;
}

/** Touch handlers calling `go` with the direction of a completed swipe. */
export function swipeHandlers(go: (direction: -1 | 1) => void) {
  let start: { x: number; y: number } | null = null;
  return {
    onTouchStart: (e: React.TouchEvent) => {
      const t = e.touches[0];
      start = e.touches.length === 1 && t ? { x: t.clientX, y: t.clientY } : null;
    },
    onTouchEnd: (e: React.TouchEvent) => {
      const t = e.changedTouches[0];
      if (!start || !t) return;
      const d = swipeDirection(t.clientX - start.x, t.clientY - start.y);
      start = null;
      if (d !== 0) go(d);
    },
  };
}
