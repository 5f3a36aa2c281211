import { describe, expect, it } from "vitest";
import { isUniqueViolation } from "../../../lib/db/index.ts";
import { useTestDatabase } from "../../support/db.ts";

const t = useTestDatabase();

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

describe("isUniqueViolation", () => {
  it("recognises a duplicate from a model query", async () => {
    await t.db.customer.create({ data: { email: "dup@example.com" } });
    const error = await caught(t.db.customer.create({ data: { email: "dup@example.com" } }));
    expect(isUniqueViolation(error)).toBe(true);
  });

  it("recognises a duplicate from a raw query", async () => {
    const insert = () =>
      t.db.$executeRaw`INSERT INTO "Segment" (name, expression, "updatedAt") VALUES ('raw', 'x', now())`;
    await insert();
    expect(isUniqueViolation(await caught(insert()))).toBe(true);
  });

  it("does not mistake other failures for duplicates", async () => {
    const error = await caught(t.db.$executeRawUnsafe(`SELECT 1/0`));
    expect(isUniqueViolation(error)).toBe(false);
    expect(isUniqueViolation(new Error("unique"))).toBe(false);
  });
});
