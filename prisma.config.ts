import { defineConfig } from "prisma/config";

// The CLI is used only for `prisma generate` (offline, see scripts/prisma-generate.mjs). Migrations run
// through the wasm schema engine in lib/db/migrate.ts. `env("DATABASE_URL")` would make generate fail
// when the variable is unset, hence the plain fallback.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "" },
});
