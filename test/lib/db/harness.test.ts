import { describe, expect, it } from "vitest";
import { createDb } from "../../../lib/db/index.ts";
import { createTestDatabase, dropTestDatabase, useTestDatabase } from "../../support/db.ts";

const t = useTestDatabase();

describe("useTestDatabase", () => {
  it("gives the file a migrated database of its own", async () => {
    expect(new URL(t.url).pathname).toMatch(/^\/rapport_t_[0-9a-f]{16}$/);
    await t.db.customer.create({ data: { name: "Ana", email: "ana@example.com" } });
    expect(await t.db.customer.count()).toBe(1);
  });

  it("keeps two test databases apart", async () => {
    const otherUrl = await createTestDatabase();
    const other = await createDb({ url: otherUrl, dataDir: "unused" });
    try {
      await other.db.customer.create({ data: { name: "Budi", email: "budi@example.com" } });

      expect(await other.db.customer.findMany({ select: { email: true } })).toEqual([
        { email: "budi@example.com" },
      ]);
      expect(await t.db.customer.findMany({ select: { email: true } })).toEqual([
        { email: "ana@example.com" },
      ]);
    } finally {
      await other.close();
      await dropTestDatabase(otherUrl);
    }
  });

  it("refuses to drop a database that is not a test database", async () => {
    await expect(dropTestDatabase("postgresql://postgres@127.0.0.1:5432/postgres")).rejects.toThrow(
      /refusing/,
    );
  });
});
