import { describe, expect, it } from "vitest";
import { compileConsentPolicy } from "../../campaigns/index.ts";
import { Prisma } from "../../lib/db/index.ts";
import { consentModeSql } from "../../workers/consent-sql.ts";
import { useTestDatabase } from "../support/db.ts";

const database = useTestDatabase();

describe("the consent mode in SQL (the fan-out's)", () => {
  it("keeps WhatsApp opt-in where the policy markets until a customer objects", async () => {
    const { policy } = compileConsentPolicy("default: opt-out\n", "campaigns/consent.yaml");
    const modeOf = async (channel: string) => {
      const sql = consentModeSql(policy, Prisma.sql`${channel}::text`, Prisma.sql`'ID'::text`);
      const rows = await database.db.$queryRaw<Array<{ mode: string }>>`SELECT ${sql} AS mode`;
      return rows[0]!.mode;
    };
    expect(await modeOf("email")).toBe("opt-out");
    expect(await modeOf("whatsapp")).toBe("opt-in");
  });
});
