import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Clock } from "../../lib/clock.ts";
import {
  envFor,
  type FakeResend,
  type FakeTelegram,
  startFakeResend,
  startFakeTelegram,
} from "../fakes/index.ts";
import { newWebhookSecret } from "../fakes/resend-webhooks.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";
import { idsForVariants, shopper, VIP_ORDERS } from "./support/shipped.ts";

// The three campaigns Rapport ships (campaigns/*.yaml), run by the whole app against fake Telegram and Resend.
// The app's clock ticks from 10:30 UTC on 4 December 2026: promo-vip's 10:00 has passed in Jakarta (17:30)
// and Warsaw (11:30), and both are outside the campaigns' quiet hours.
const offset = Date.parse("2026-12-04T10:30:00Z") - Date.now();
const clock: Clock = { now: () => Date.now() + offset };
const WEBHOOK_SECRET = newWebhookSecret();

const database = useTestDatabase();
const redis = useTestRedis();
let telegram: FakeTelegram;
let resend: FakeResend;
let app: TestApp;

let ids: Record<string, string>;

beforeAll(async () => {
  [telegram, resend] = await Promise.all([
    startFakeTelegram(),
    startFakeResend({ rateLimit: 50, now: () => clock.now() }),
  ]);
  const [variantA, variantB, holdout] = await idsForVariants(["a", "b", "holdout"]);
  ids = {
    // quiet since September: the win-back's audience
    quietTelegram: await shopper(database.db, {
      email: "siti@example.com",
      name: "Siti",
      locale: "id",
      timezone: "Asia/Jakarta",
      orders: [{ at: "2026-09-20T10:00:00Z", total: "30.00" }],
      telegram: "7007001",
    }),
    quietEmail: await shopper(database.db, {
      email: "ola@example.com",
      name: "Ola",
      locale: "pl",
      timezone: "Europe/Warsaw",
      orders: [{ at: "2026-09-01T10:00:00Z", total: "45.00" }],
    }),
    // five orders this autumn: VIPs (segments.yaml), not quiet
    vipJakarta: await shopper(database.db, {
      id: variantA,
      email: "budi@example.com",
      name: "Budi",
      locale: "id",
      timezone: "Asia/Jakarta",
      orders: VIP_ORDERS,
    }),
    vipWarsaw: await shopper(database.db, {
      id: variantB,
      email: "jan@example.com",
      name: "Jan",
      locale: "pl",
      timezone: "Europe/Warsaw",
      orders: VIP_ORDERS,
    }),
    vipHeldOut: await shopper(database.db, {
      id: holdout,
      email: "mia@example.com",
      name: "Mia",
      locale: "en",
      timezone: "Europe/London",
      orders: VIP_ORDERS,
    }),
    // one recent order: in neither audience
    regular: await shopper(database.db, {
      email: "emma@example.com",
      name: "Emma",
      locale: "en",
      timezone: "Europe/London",
      orders: [{ at: "2026-11-30T10:00:00Z", total: "20.00" }],
    }),
  };
  app = await startTestApp({
    databaseUrl: database.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    bots: true,
    clock,
    env: {
      ...envFor({ telegram, resend }),
      RESEND_REQUESTS_PER_SECOND: "20",
      RESEND_WEBHOOK_SECRET: WEBHOOK_SECRET,
      RAPPORT_CAMPAIGN_CLOCK: "1",
    },
  });
}, 30_000);
afterAll(async () => {
  await app?.close();
  await Promise.all([telegram?.close(), resend?.close()]);
});

const emailsTo = (address: string) => resend.emails.filter((e) => e.to.includes(address));

/**
 * The win-back email Ola gets (the app sends it on its first campaign tick): each test that needs it waits
 * for it itself, so any one of them runs alone (`-t`).
 */
async function winBackEmail() {
  const [email] = await waitFor(
    "the win-back email",
    () => {
      const found = emailsTo("ola@example.com");
      return found.length ? found : undefined;
    },
    20_000,
  );
  return email!;
}

describe("the shipped campaigns", () => {
  it("win-back: a unique code to each quiet customer, on their phone's chat if they have one, else by email", async () => {
    const coupon = async (customerId: string) =>
      (
        await database.db.coupon.findUniqueOrThrow({
          where: { prefix_customerId: { prefix: "WINBACK15", customerId } },
        })
      ).code;

    await waitFor("the Telegram win-back", () => telegram.sent.some((m) => m.chat.id === 7007001), 20_000);
    const chat = telegram.sent.find((m) => m.chat.id === 7007001)!;
    expect(chat.text).toContain(await coupon(ids.quietTelegram!));
    expect(chat.text).toMatch(/15%/);
    expect(chat.text).toMatch(/\/stop/);

    const email = await winBackEmail();
    expect(email.subject).toMatch(/Tęsknimy/);
    expect(email.html).toContain(await coupon(ids.quietEmail!));
    expect(email.headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
    expect(email.headers["List-Unsubscribe"]).toMatch(/^<http:\/\/[^>]+\/u\/[A-Za-z0-9_-]+>/);
    expect(email.idempotencyKey).toMatch(/^b\/win-back\//); // a campaign batch, keyed by its members

    // nobody else was quiet
    const winBacks = await database.db.delivery.findMany({ where: { campaignId: "win-back" } });
    expect(winBacks.map((d) => d.customerId).sort()).toEqual([ids.quietEmail, ids.quietTelegram].sort());
  });

  it("promo-vip: the VIP segment at 10:00 in each customer's own timezone, by variant, with a hold-out", async () => {
    const deliveries = await waitFor(
      "the promo planned",
      async () => {
        const rows = await database.db.delivery.findMany({ where: { campaignId: "promo-vip" } });
        return rows.length === 3 && rows.every((r) => r.status !== "queued" && r.status !== "planned")
          ? rows
          : undefined;
      },
      20_000,
    );
    const byCustomer = new Map(deliveries.map((d) => [d.customerId, d]));
    expect([...byCustomer.keys()].sort()).toEqual([ids.vipJakarta, ids.vipWarsaw, ids.vipHeldOut].sort());
    // every branch, every run: ids chosen for variant a, variant b and the hold-out
    expect(byCustomer.get(ids.vipHeldOut!)).toMatchObject({
      variant: "holdout",
      status: "skipped",
      reason: "holdout",
    });
    expect(emailsTo("mia@example.com")).toEqual([]);
    expect(byCustomer.get(ids.vipJakarta!)).toMatchObject({ variant: "a", status: "sent" });
    expect(byCustomer.get(ids.vipWarsaw!)).toMatchObject({ variant: "b", status: "sent" });
    // due at 10:00 in each customer's own timezone; both have passed at 10:30 UTC, so each goes out now
    // (the fan-out schedules at the later of the two), never before its local 10:00
    const tickedAt = Date.parse("2026-12-04T10:30:00Z");
    for (const [customerId, localTen] of [
      [ids.vipJakarta!, "2026-12-04T03:00:00.000Z"],
      [ids.vipWarsaw!, "2026-12-04T09:00:00.000Z"],
    ] as const) {
      const scheduledAt = byCustomer.get(customerId)!.scheduledAt.getTime();
      expect(scheduledAt).toBeGreaterThanOrEqual(Math.max(Date.parse(localTen), tickedAt));
      expect(scheduledAt).toBeLessThan(tickedAt + 60_000);
    }
    for (const delivery of [byCustomer.get(ids.vipJakarta!)!, byCustomer.get(ids.vipWarsaw!)!]) {
      const address = delivery.customerId === ids.vipJakarta ? "budi@example.com" : "jan@example.com";
      const [email] = emailsTo(address);
      const headline =
        delivery.customerId === ids.vipJakarta
          ? delivery.variant === "a"
            ? "Promo akhir tahun"
            : "Diskon 20% khusus pelanggan VIP"
          : delivery.variant === "a"
            ? "Wyprzedaż na koniec roku"
            : "20% rabatu dla VIP-ów";
      expect(email!.subject + email!.html).toContain(headline);
    }
  });

  it("thank-you: a receipt for a new order, transactional, with no unsubscribe link", async () => {
    const response = await app.postEvent({
      type: "purchase",
      orderId: "NEW-1",
      customer: { email: "emma@example.com" },
      total: "20.00",
      currency: "EUR",
      items: [{ sku: "MUG", quantity: 1, price: "20.00" }],
    });
    expect(response.status).toBe(201);
    const [receipt] = await waitFor("the thank-you", () => {
      const found = emailsTo("emma@example.com");
      return found.length ? found : undefined;
    });
    expect(receipt!.subject).toMatch(/Thank you for your order, Emma/);
    expect(receipt!.headers["List-Unsubscribe"]).toBeUndefined();
  });

  it("credits a purchase within the goal's window to the win-back, and takes Resend's delivery report", async () => {
    await winBackEmail();
    const delivery = await waitFor("the win-back's Delivery recorded as sent", () =>
      database.db.delivery.findFirst({
        where: { campaignId: "win-back", customerId: ids.quietEmail, status: "sent" },
      }),
    );
    const report = await resend.sendWebhook(`${app.url}/webhooks/resend`, WEBHOOK_SECRET, {
      type: "email.delivered",
      data: { email_id: delivery.providerId! },
    });
    expect(report.status).toBe(200);

    const response = await app.postEvent({
      type: "purchase",
      orderId: "BACK-1",
      occurredAt: new Date(clock.now()).toISOString(),
      customer: { email: "ola@example.com" },
      total: "64.50",
      currency: "EUR",
      items: [{ sku: "BEANS", quantity: 2, price: "32.25" }],
    });
    expect(response.status).toBe(201);
    const converted = await waitFor("the conversion", () =>
      database.db.delivery.findFirst({ where: { id: delivery.id, convertedAt: { not: null } } }),
    );
    expect(converted.revenue?.toString()).toBe("64.5");
    expect(converted.deliveredAt).not.toBeNull();
  });

  it("unsubscribes in one click from the email's List-Unsubscribe link", async () => {
    const email = await winBackEmail();
    const link = new URL(/<([^>]+)>/.exec(email.headers["List-Unsubscribe"]!)![1]!);
    // PUBLIC_URL names port 0 here: the test server's real port is in app.url
    const response = await fetch(`${app.url}${link.pathname}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "List-Unsubscribe=One-Click",
    });
    expect(response.status).toBe(200);
    expect(
      await database.db.suppression.count({
        where: { channel: "email", address: "ola@example.com", reason: "unsubscribed" },
      }),
    ).toBe(1);
  });
});
