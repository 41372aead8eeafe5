// @vitest-environment node
// The typed API client's types (api.ts) must be what openapi-typescript makes of the server's
// document (openapi.json, itself checked against the server by a Rust test): `npm run gen`.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";

it("api.ts is generated from openapi.json", () => {
  const dir = mkdtempSync(join(tmpdir(), "boocode-api-"));
  try {
    const out = join(dir, "api.ts");
    execFileSync(process.execPath, ["node_modules/openapi-typescript/bin/cli.js", "src/generated/openapi.json", "-o", out], { stdio: "pipe" });
    const fresh = readFileSync(out, "utf8");
    const current = readFileSync("src/generated/api.ts", "utf8");
    expect(current === fresh, "src/generated/api.ts is stale: run `npm run gen` and commit it").toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
