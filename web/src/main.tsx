import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app/App";
import { storedPalette } from "./app/PaletteMenu";
import "./styles.css";

// The remembered theme before the first paint (the switch keeps it after).
document.documentElement.dataset.theme = localStorage.getItem("boocode-theme") === "light" ? "light" : "dark";
document.documentElement.dataset.palette = storedPalette();

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
