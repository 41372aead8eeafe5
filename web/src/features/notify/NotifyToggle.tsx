// The header's notifications switch: asks the browser's permission the first time.
import { useState } from "react";
import { notificationsWanted, setNotificationsWanted } from "./notifier";

export function NotifyToggle() {
  const supported = typeof Notification !== "undefined";
  const [on, setOn] = useState(() => supported && notificationsWanted() && Notification.permission === "granted");
  const [refused, setRefused] = useState(false);
  if (!supported) return null;
  const toggle = async () => {
    if (on) {
      setNotificationsWanted(false);
      setOn(false);
      return;
    }
    const permission = Notification.permission === "granted" ? "granted" : await Notification.requestPermission();
    const granted = permission === "granted";
    setRefused(!granted);
    setNotificationsWanted(granted);
    setOn(granted);
  };
  return (
    <button
      className="icon-btn"
      aria-pressed={on}
      aria-label="Notifications when hidden"
      title={refused ? "The browser refused notifications for this site" : on ? "Notifications on: prompts and long turns while this tab is hidden" : "Notify me of prompts and long turns while this tab is hidden"}
      onClick={() => void toggle()}
    >
      <svg aria-hidden viewBox="0 0 24 24" className="size-4" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
        <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
        <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
        {!on && <path d="M3 3l18 18" />}
      </svg>
    </button>
  );
}
