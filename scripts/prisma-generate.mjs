// `prisma generate` with no network. Prisma 7's CLI insists on a native schema engine, which
// @prisma/engines downloads at install time from Prisma's own host: offline that download fails.
// `generate` never runs the engine, so we point PRISMA_SCHEMA_ENGINE_BINARY at a stub that explains
// itself if anything ever does call it. Migrations use the wasm engine instead (lib/db/migrate.ts).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";

const env = { ...process.env, CHECKPOINT_DISABLE: "1" }; // also skips the update check (a DNS lookup)
const hasEngine = ["node_modules/@prisma/engines", "node_modules/prisma"].some(
  (dir) => existsSync(dir) && readdirSync(dir).some((file) => file.startsWith("schema-engine-")),
);
if (!env.PRISMA_SCHEMA_ENGINE_BINARY && !hasEngine) {
  env.PRISMA_SCHEMA_ENGINE_BINARY = path.resolve("node_modules/.prisma-offline/schema-engine");
  mkdirSync(path.dirname(env.PRISMA_SCHEMA_ENGINE_BINARY), { recursive: true });
  writeFileSync(
    env.PRISMA_SCHEMA_ENGINE_BINARY,
    '#!/bin/sh\necho "no native schema-engine offline: use `rapport db migrate`" >&2\nexit 1\n',
    { mode: 0o755 },
  );
}
const result = spawnSync(process.execPath, ["node_modules/prisma/build/index.js", "generate"], {
  stdio: "inherit",
  env,
});
process.exit(result.status ?? 1);
