import { afterAll, beforeAll, expect, it } from "vitest";
import type { Clock } from "../../lib/clock.ts";
import { envFor, type FakeResend, startFakeResend } from "../fakes/index.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";
import { idsForVariants, shopper, VIP_ORDERS } from "./support/shipped.ts";

// promo-vip (campaigns/promo-vip.yaml) is due at 10:00 on 4 December 2026 in each customer's own timezone. The
// app's clock ticks from 02:00 UTC that day: before 10:00 in Jakarta (03:00 UTC) and in Warsaw (09:00 UTC), so
// the fan-out must plan each message for exactly its customer's local 10:00, not for now.
const offset = Date.parse("2026-12-04T02:00:00Z") - Date.now();
const clock: Clock = { now: () => Date.now() + offset };

const database = useTestDatabase();
const redis = useTestRedis();
let resend: FakeResend;
let app: TestApp;
let jakarta: string;
let warsaw: string;

beforeAll(async () => {
  resend = await startFakeResend({ now: () => clock.now() });
  const [variantA, variantB] = await idsForVariants(["a", "b"]);
  jakarta = await shopper(database.db, {
    id: variantA,
    email: "budi@example.com",
    name: "Budi",
    locale: "id",
    timezone: "Asia/Jakarta",
    orders: VIP_ORDERS,
  });
  warsaw = await shopper(database.db, {
    id: variantB,
    email: "jan@example.com",
    name: "Jan",
    locale: "pl",
    timezone: "Europe/Warsaw",
    orders: VIP_ORDERS,
  });
  app = await startTestApp({
    databaseUrl: database.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    clock,
    env: { ...envFor({ resend }), RAPPORT_CAMPAIGN_CLOCK: "1" },
  });
}, 30_000);
afterAll(async () => {
  await app?.close();
  await resend?.close();
});

it("plans promo-vip for 10:00 in Jakarta and 10:00 in Warsaw, and sends neither before its time", async () => {
  const planned = await waitFor("promo-vip planned for both VIPs", async () => {
    const rows = await database.db.delivery.findMany({ where: { campaignId: "promo-vip" } });
    return rows.length === 2 ? rows : undefined;
  });
  const at = new Map(planned.map((d) => [d.customerId, d.scheduledAt.toISOString()]));
  expect(at.get(jakarta)).toBe("2026-12-04T03:00:00.000Z"); // 10:00 WIB (UTC+7)
  expect(at.get(warsaw)).toBe("2026-12-04T09:00:00.000Z"); // 10:00 CET (UTC+1)
  expect(planned.map((d) => d.status)).not.toContain("sent");
  expect(resend.requests).toEqual([]);
});
