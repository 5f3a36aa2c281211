import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createMigration,
  DEFAULT_MIGRATIONS_DIR,
  DEFAULT_SCHEMA_PATH,
  diffMigrationsToSchema,
  migrate,
  migrationNames,
  migrationStatus,
  resetDatabase,
} from "../../../lib/db/index.ts";
import { ADMIN_URL } from "../../setup/test-database.ts";
import { createTestDatabase, dropTestDatabase } from "../../support/db.ts";

const ALL = migrationNames(DEFAULT_MIGRATIONS_DIR);
const [INIT] = ALL;

// A scratch copy of prisma/ whose schema and migrations a test may change.
let scratch: string;
let schemaPath: string;
let migrationsDir: string;
beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), "rapport-migrate-"));
  schemaPath = path.join(scratch, "schema.prisma");
  migrationsDir = path.join(scratch, "migrations");
  cpSync(DEFAULT_MIGRATIONS_DIR, migrationsDir, { recursive: true });
  // A schema that differs from the migrations by one nullable column.
  const schema = readFileSync(DEFAULT_SCHEMA_PATH, "utf8").replace(
    /^model Segment \{$/m,
    "model Segment {\n  drifted String?",
  );
  expect(schema).toContain("drifted String?");
  writeFileSync(schemaPath, schema);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe("migration drift", () => {
  it("finds no difference between prisma/migrations and schema.prisma", async () => {
    expect(await diffMigrationsToSchema({ url: ADMIN_URL })).toBe("");
  });

  it("reports the SQL of a schema change the migrations lack", async () => {
    const diff = await diffMigrationsToSchema({ url: ADMIN_URL, schemaPath, migrationsDir });
    expect(diff).toContain('ALTER TABLE "Segment" ADD COLUMN     "drifted" TEXT');
  });

  it("drops the shadow database it builds the migrations in", async () => {
    const shadows = async () =>
      (
        await query<{ datname: string }>(
          ADMIN_URL,
          "SELECT datname FROM pg_database WHERE datname LIKE 'prisma_shadow_%'",
        )
      ).map((r) => r.datname);
    const before = new Set(await shadows());
    await diffMigrationsToSchema({ url: ADMIN_URL });
    // A concurrent run's shadow may exist for a moment; a leaked one stays.
    await expect
      .poll(async () => (await shadows()).filter((n) => !before.has(n)), { timeout: 3000 })
      .toEqual([]);
  });

  it("diffs without any database, on an in-memory PGlite", { timeout: 60_000 }, async () => {
    expect(await diffMigrationsToSchema()).toBe("");
  });
});

describe("migrate on PostgreSQL", () => {
  let url: string;
  beforeAll(async () => {
    url = await createTestDatabase({ empty: true });
  });
  afterAll(() => dropTestDatabase(url));

  it("applies every migration to a fresh database, then nothing on a second run", async () => {
    const before = await migrationStatus(url);
    expect(before).toMatchObject({ upToDate: false, hasMigrationsTable: false, pending: ALL });

    expect(await migrate(url)).toEqual(ALL);
    expect(await migrate(url)).toEqual([]);

    expect(await migrationStatus(url)).toEqual({
      upToDate: true,
      hasMigrationsTable: true,
      pending: [],
      unknown: [],
      failed: [],
      edited: [],
    });
    const tables = await query<{ n: string }>(url, `SELECT count(*) AS n FROM "Customer"`);
    expect(tables[0]?.n).toBe("0");
  });

  it("creates, writes and applies a migration for a schema change (migrate dev)", async () => {
    const result = await createMigration(url, "add_drifted", { schemaPath, migrationsDir });

    expect(result.created).toMatch(/^\d{14}_add_drifted$/);
    expect(result.applied).toEqual([result.created]);
    const sql = readFileSync(path.join(migrationsDir, result.created!, "migration.sql"), "utf8");
    expect(sql).toContain('"drifted" TEXT');
    expect(existsSync(path.join(migrationsDir, "migration_lock.toml"))).toBe(true);
    expect(await diffMigrationsToSchema({ url: ADMIN_URL, schemaPath, migrationsDir })).toBe("");
    // The main folder does not know the new migration: status says so instead of claiming "up to date".
    expect(await migrationStatus(url)).toMatchObject({ upToDate: false, unknown: [result.created] });
  });

  it("rolls a failing migration back whole and records it as failed", async () => {
    const broken = mkdtempSync(path.join(tmpdir(), "rapport-broken-"));
    try {
      cpSync(DEFAULT_MIGRATIONS_DIR, broken, { recursive: true });
      const name = "29991231235959_broken";
      cpSync(path.join(DEFAULT_MIGRATIONS_DIR, INIT!), path.join(broken, name), { recursive: true });
      // A $$ body with semicolons (split by the stock adapter) before a statement that fails.
      writeFileSync(
        path.join(broken, name, "migration.sql"),
        `CREATE TABLE "Half" (id int);\nCREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql;\nSELECT 1/0;\n`,
      );
      const fresh = await createTestDatabase({ empty: true });
      try {
        await expect(migrate(fresh, { migrationsDir: broken })).rejects.toThrow(/division by zero/);
        expect(await migrationStatus(fresh, { migrationsDir: broken })).toMatchObject({ failed: [name] });
        const half = await query(fresh, `SELECT 1 FROM pg_tables WHERE tablename = 'Half'`);
        expect(half).toEqual([]);
      } finally {
        await dropTestDatabase(fresh);
      }
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it("resets a database to the migrations, dropping its rows", async () => {
    await query(
      url,
      `INSERT INTO "Segment" (name, expression, "updatedAt") VALUES ('vip', 'orders > 2', now())`,
    );

    expect(await resetDatabase(url)).toEqual(ALL);

    expect(await query(url, `SELECT 1 FROM "Segment"`)).toEqual([]);
    expect((await migrationStatus(url)).upToDate).toBe(true);
  });
});
