// The page's initial JavaScript (the entry script and what index.html preloads), gzipped, must stay
// within the budget; code loaded on demand (Shiki, the diff viewer) is not counted. Run after
// `vite build`: `node scripts/bundle-size.mjs [budget-kB]`.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const dist = join(dirname(fileURLToPath(import.meta.url)), "../dist");
const budget = Number(process.argv[2] ?? 250) * 1000;
const html = readFileSync(join(dist, "index.html"), "utf8");
const scripts = [...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="\/?([^"]+\.js)"/g)].map((m) => m[1]);
if (scripts.length === 0) {
  console.error("no script found in dist/index.html");
  process.exit(1);
}
let total = 0;
for (const file of scripts) {
  const size = gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
  total += size;
  console.log(`${file}: ${(size / 1000).toFixed(1)} kB gzip`);
}
console.log(`initial JavaScript: ${(total / 1000).toFixed(1)} kB gzip (budget ${budget / 1000} kB)`);
if (total > budget) {
  console.error("over budget: load the new code on demand (import()) or drop a dependency");
  process.exit(1);
}
