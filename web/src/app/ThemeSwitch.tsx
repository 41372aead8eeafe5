// Light or dark, remembered in this browser.
import { useEffect, useState } from "react";

type Theme = "dark" | "light";

function stored(): Theme {
  return localStorage.getItem("boocode-theme") === "light" ? "light" : "dark";
}

export function ThemeSwitch() {
  const [theme, setTheme] = useState<Theme>(stored);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem("boocode-theme", theme);
  }, [theme]);
  const next: Theme = theme === "dark" ? "light" : "dark";
  return (
    <button className="icon-btn" aria-label={`Switch to the ${next} theme`} onClick={() => setTheme(next)}>
      {theme === "dark" ? "☀" : "☾"}
    </button>
  );
}
