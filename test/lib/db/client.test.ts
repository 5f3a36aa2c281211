import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createDb,
  createPgliteTemplate,
  DataDirInUseError,
  DEFAULT_MIGRATIONS_DIR,
  migrate,
  migrationNames,
} from "../../../lib/db/index.ts";
import {
  deliveryBuckets,
  hourBuckets,
  statBuckets,
  writeDeliveryHistory,
} from "../../support/campaign-stats.ts";

// Each PGlite start costs seconds on 2 cores: these tests are few and share their instances.
describe("createDb on PGlite", { timeout: 120_000 }, () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), "rapport-pglite-"));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const lockFile = () => path.join(dataDir, "pglite.lock");

  it("refuses a data directory another live process holds", async () => {
    writeFileSync(lockFile(), `${process.ppid}\n`);
    const error = await createDb({ dataDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataDirInUseError);
    expect((error as Error).message).toContain(
      `in use by process ${process.ppid}: stop it, or set DATABASE_URL`,
    );
    rmSync(lockFile());
  });

  it("takes over a stale lock, migrates, and keeps rows across a restart", async () => {
    writeFileSync(lockFile(), "2147483646\n"); // no such process: a crashed Rapport's leftover
    const first = await createDb({ dataDir });
    try {
      expect(first.kind).toBe("pglite");
      expect(readFileSync(lockFile(), "utf8").trim()).toBe(String(process.pid));
      await expect(createDb({ dataDir })).rejects.toThrow(/in use by process \d+ \(this process\)/);
      // Migrating by URL would open the directory a second time: only the handle may be migrated.
      await expect(migrate(first.url)).rejects.toThrow(DataDirInUseError);

      expect(await migrate(first)).toEqual(migrationNames(DEFAULT_MIGRATIONS_DIR));
      await first.db.customer.create({ data: { name: "Siti", email: "siti@example.com", country: "ID" } });
      expect(await first.db.customer.findUnique({ where: { email: "siti@example.com" } })).toMatchObject({
        name: "Siti",
        locale: "en",
      });
    } finally {
      await first.close();
    }
    expect(existsSync(lockFile())).toBe(false);

    const second = await createDb({ dataDir });
    try {
      expect(await migrate(second)).toEqual([]);
      expect(await second.db.customer.findMany({ select: { email: true } })).toEqual([
        { email: "siti@example.com" },
      ]);
    } finally {
      await second.close();
    }
  });

  it("clones a migrated template into independent in-memory databases", async () => {
    const template = await createPgliteTemplate();
    try {
      const a = await template.clone();
      const b = await template.clone();
      try {
        await a.db.customer.create({ data: { email: "a@example.com" } });
        expect(await a.db.customer.count()).toBe(1);
        expect(await b.db.customer.count()).toBe(0);
        expect(a.url).toBe("pglite:memory");
        // the campaign totals' triggers (plpgsql, transition tables, EXECUTE) run on PGlite as on PostgreSQL
        await writeDeliveryHistory(a.db, 7, 60);
        const expected = await deliveryBuckets(a.db);
        expect(expected.length).toBeGreaterThan(3);
        expect(await statBuckets(a.db)).toEqual(expected);
        const hours = await hourBuckets(a.db);
        expect(hours.kept).toEqual(hours.scanned);
      } finally {
        await a.close();
        await b.close();
      }
    } finally {
      await template.close();
    }
  });
});
