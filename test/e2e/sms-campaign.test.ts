import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Clock } from "../../lib/clock.ts";
import { envFor, type FakeTwilioSms, startFakeTwilioSms } from "../fakes/index.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";

// Monday 23 November 2026, 10:00 in Jakarta: inside the shipped business hours, outside the quiet hours
const OPEN = Date.parse("2026-11-23T03:00:00Z");
let now = OPEN;
const clock: Clock = { now: () => now };
const PUBLIC_URL = "https://crm.example.com";

const database = useTestDatabase();
const redis = useTestRedis();
const campaignsDir = mkdtempSync(path.join(tmpdir(), "rapport-campaigns-"));
let twilio: FakeTwilioSms;
let app: TestApp;

beforeAll(async () => {
  writeFileSync(
    path.join(campaignsDir, "thanks.yaml"),
    [
      "id: thanks-sms",
      "name: Purchase thanks by SMS",
      "kind: marketing",
      "trigger: { event: { type: purchase } }",
      "channels: [sms]",
      "message: { template: thank-you }",
      'limits: { quiet_hours: "21:00-08:00" }',
    ].join("\n"),
  );
  // this shop markets until a customer objects: a STOP is that objection
  writeFileSync(path.join(campaignsDir, "consent.yaml"), "default: opt-out\n");
  twilio = await startFakeTwilioSms();
  app = await startTestApp({
    databaseUrl: database.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    bots: true,
    clock,
    env: {
      ...envFor({ sms: twilio }),
      PUBLIC_URL,
      TWILIO_SMS_PER_SECOND: "50",
      RAPPORT_CAMPAIGNS_DIR: campaignsDir,
    },
  });
});
afterAll(async () => {
  await app?.close();
  await twilio?.close();
  rmSync(campaignsDir, { recursive: true, force: true });
});

/** An SMS from `from`; its customer lives in Jakarta (quiet hours are in the customer's time). */
async function text(from: string, body: string) {
  const answer = await twilio.sendInbound(app.url!, PUBLIC_URL, { from, body });
  expect(answer.status).toBe(200);
  await database.db.customer.update({ where: { phone: from }, data: { timezone: "Asia/Jakarta" } });
}

const purchase = (orderId: string, phone: string) =>
  app.postEvent({
    type: "purchase",
    orderId,
    customer: { phone },
    total: "150000",
    currency: "IDR",
    items: [{ sku: "MUG", quantity: 1, price: "150000" }],
  });

const campaignDelivery = (customerId: string) =>
  database.db.delivery.findFirst({ where: { campaignId: "thanks-sms", customerId } });

describe("a campaign by SMS", () => {
  it("reaches a customer who texted the shop, from the account's number", async () => {
    const phone = "+6281277780001";
    await text(phone, "Halo");
    const customer = await database.db.customer.findUniqueOrThrow({ where: { phone } });
    expect((await purchase("SMS-1", phone)).status).toBe(201);
    const delivery = await waitFor("the Delivery sent", async () => {
      const found = await campaignDelivery(customer.id);
      return found?.status === "sent" ? found : undefined;
    });
    const sent = twilio.sent.find((m) => m.sid === delivery.providerId);
    expect(sent).toMatchObject({ to: phone, from: twilio.from });
    expect(sent?.body).toContain("SMS-1");
  });

  it("skips a customer who texted STOP, and sends nothing to them", async () => {
    const phone = "+6281277780002";
    await text(phone, "STOP");
    const customer = await database.db.customer.findUniqueOrThrow({ where: { phone } });
    const before = twilio.sent.filter((m) => m.to === phone).length;
    expect((await purchase("SMS-2", phone)).status).toBe(201);
    const skipped = await waitFor("the Delivery skipped", () => campaignDelivery(customer.id));
    expect(skipped.status).toBe("skipped");
    // the STOP confirmation only: no campaign message
    expect(twilio.sent.filter((m) => m.to === phone && m.body.includes("SMS-2"))).toEqual([]);
    expect(twilio.sent.filter((m) => m.to === phone).length).toBeLessThanOrEqual(before + 1);
  });

  it("holds a message due in the customer's quiet hours until they end (quiet_hours apply to SMS too)", async () => {
    const phone = "+6281277780003";
    await text(phone, "Halo");
    const customer = await database.db.customer.findUniqueOrThrow({ where: { phone } });
    const start = now;
    try {
      now = Date.parse("2026-11-23T16:00:00Z"); // 23:00 in Jakarta
      expect((await purchase("SMS-3", phone)).status).toBe(201);
      const held = await waitFor("the Delivery planned", () => campaignDelivery(customer.id));
      // 08:00 the next morning in Jakarta
      expect(held.scheduledAt).toEqual(new Date("2026-11-24T01:00:00Z"));
      expect(held.status).not.toBe("sent");
    } finally {
      now = start;
    }
  });
});
