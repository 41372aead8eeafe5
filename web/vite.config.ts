import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";
import tailwindcss from "@tailwindcss/vite";

// The server (boocode-server) serves dist/; `npm run dev` proxies the API to it.
export default defineConfig({
  plugins: [react(), tailwindcss()],
  build: { outDir: "dist", sourcemap: true },
  server: {
    proxy: {
      "/api": { target: "http://127.0.0.1:7410", ws: true },
      "/login": "http://127.0.0.1:7410",
      "/artifact-frame": "http://127.0.0.1:7410",
    },
  },
  // Unit tests live beside the code; e2e/ holds the Playwright specs.
  test: { include: ["src/**/*.test.{ts,tsx}"], setupFiles: ["src/test/setup.ts"] },
});
