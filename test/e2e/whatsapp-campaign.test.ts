import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Clock } from "../../lib/clock.ts";
import { envFor, type FakeWhatsApp, startFakeWhatsApp } from "../fakes/index.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";

// Monday 23 November 2026, 10:00 in Jakarta: inside the shipped business hours
const OPEN = Date.parse("2026-11-23T03:00:00Z");
const now = OPEN;
const clock: Clock = { now: () => now };

const database = useTestDatabase();
const redis = useTestRedis();
const campaignsDir = mkdtempSync(path.join(tmpdir(), "rapport-campaigns-"));
let whatsapp: FakeWhatsApp;
let app: TestApp;

beforeAll(async () => {
  // a marketing thank-you on WhatsApp: as the template Meta approved, in the customer's language
  writeFileSync(
    path.join(campaignsDir, "thanks.yaml"),
    [
      "id: thanks-whatsapp",
      "name: Purchase thanks on WhatsApp",
      "kind: marketing",
      "trigger: { event: { type: purchase } }",
      "channels: [whatsapp]",
      "message:",
      "  template: thank-you",
      "  whatsapp_template:",
      "    name: order_thanks",
      "    language: { en: en_US, id: id, pl: pl }",
      '    params: ["{{customer.name}}", "{{order.id}}", "{{money order.total order.currency}}"]',
    ].join("\n"),
  );
  // this shop markets everywhere until a customer objects: WhatsApp still needs their opt-in (Meta's policy)
  writeFileSync(path.join(campaignsDir, "consent.yaml"), "default: opt-out\n");
  whatsapp = await startFakeWhatsApp({ now: () => now });
  app = await startTestApp({
    databaseUrl: database.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    bots: true,
    clock,
    env: { ...envFor({ whatsapp }), RAPPORT_CAMPAIGNS_DIR: campaignsDir },
  });
});
afterAll(async () => {
  await app?.close();
  await whatsapp?.close();
  rmSync(campaignsDir, { recursive: true, force: true });
});

async function say(waId: string, name: string, text: string) {
  const response = await whatsapp.sendWebhook(
    `${app.url}/webhooks/whatsapp`,
    whatsapp.messagesNotification({ waId, name }, [{ type: "text", text: { body: text } }]),
  );
  expect(response.status).toBe(200);
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

describe("a campaign on WhatsApp", () => {
  it("reaches an opted-in customer as the approved template, its parameters filled from the message's data", async () => {
    const waId = "6281277770001";
    await say(waId, "Sari", "START"); // WhatsApp's opt-in to the brand's offers there, as /start on Telegram
    const customer = await database.db.customer.findUniqueOrThrow({ where: { phone: `+${waId}` } });
    await database.db.customer.update({ where: { id: customer.id }, data: { locale: "id" } });
    expect((await purchase("WA-1", `+${waId}`)).status).toBe(201);
    const sent = await waitFor("the template at the fake", () =>
      whatsapp.sent.find((m) => m.to === waId && m.type === "template"),
    );
    expect(sent.template).toEqual({
      name: "order_thanks",
      language: "id",
      params: ["Sari", "WA-1", expect.stringMatching(/^Rp\s?150\.000(,00)?$/)],
    });
    const delivery = await waitFor("the Delivery sent", () =>
      database.db.delivery.findFirst({
        where: { campaignId: "thanks-whatsapp", customerId: customer.id, status: "sent" },
      }),
    );
    expect(delivery.providerId).toBe(sent.id);
  });

  it("sends no marketing on WhatsApp to a customer who never opted in", async () => {
    const waId = "6281277770002";
    await say(waId, "Budi", "Halo");
    const customer = await database.db.customer.findUniqueOrThrow({ where: { phone: `+${waId}` } });
    expect((await purchase("WA-2", `+${waId}`)).status).toBe(201);
    const skipped = await waitFor("the Delivery skipped", () =>
      database.db.delivery.findFirst({ where: { campaignId: "thanks-whatsapp", customerId: customer.id } }),
    );
    expect(skipped).toMatchObject({ status: "skipped", reason: "no_consent" });
    expect(whatsapp.sent.filter((m) => m.to === waId && m.type === "template")).toEqual([]);
  });
});
