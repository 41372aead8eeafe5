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
      {on ? "🔔" : "🔕"}
    </button>
  );
}
