import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QUEUE, queueFor } from "../../workers/index.ts";
import { envFor, type FakeResend, startFakeResend } from "../fakes/index.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { useTestDatabase } from "../support/db.ts";
import { readEml } from "../support/eml.ts";
import { useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";

const database = useTestDatabase();
const redis = useTestRedis();
let resend: FakeResend;
let app: TestApp;

beforeAll(async () => {
  resend = await startFakeResend({ rateLimit: 5 });
  app = await startTestApp({
    databaseUrl: database.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    env: {
      ...envFor({ resend }),
      EMAIL_FROM: "Toko Rapport <halo@example.com>",
    },
  });
});
afterAll(async () => {
  await app?.close();
  await resend?.close();
});

let orderSeq = 0;
function purchase(customer: Record<string, string>, currency: string, items: Array<Record<string, unknown>>) {
  const total = items.reduce((sum, i) => sum + Number(i.price) * Number(i.quantity), 0);
  return {
    type: "purchase",
    orderId: `E2E-${++orderSeq}`,
    customer,
    total: total.toFixed(2),
    currency,
    items,
  };
}

/** Waits until every queue of the pipeline is idle: nothing waiting, active or delayed. */
async function drained(): Promise<void> {
  const names = [QUEUE.events, QUEUE.plan, QUEUE.deliver("email")];
  await waitFor("the queues to drain", async () => {
    for (const name of names) {
      const counts = await queueFor(app.queues, name).getJobCounts(
        "waiting",
        "active",
        "delayed",
        "prioritized",
      );
      if (Object.values(counts).some((n) => n > 0)) return false;
    }
    return true;
  });
}

describe("a purchase becomes one thank-you email", () => {
  it("sends the thank-you through Resend in the customer's language and currency, keyed by its Delivery", async () => {
    const order = purchase(
      { email: "jan.kowalski@example.com", name: "Jan Kowalski", locale: "pl-PL" },
      "PLN",
      [{ sku: "KUB-02", name: "Kubek ceramiczny", quantity: 5, price: 39.99 }],
    );
    const response = await app.postEvent(order);
    expect(response.status).toBe(201);
    const email = await waitFor("the email at Resend", () =>
      resend.emails.find((e) => e.to.includes("jan.kowalski@example.com")),
    );

    expect(email.from).toBe("Toko Rapport <halo@example.com>");
    expect(email.subject).toMatch(/dziękujemy|dzięki/i);
    expect(email.html).toContain("Jan");
    expect(email.html).toContain("199,95\u00a0zł");
    expect(email.text).toContain("5 produktów");

    // the provider answers before the worker records the send: wait for the row, not only the email
    const delivery = await waitFor("the delivery to be recorded as sent", () =>
      database.db.delivery.findFirst({ where: { recipient: "jan.kowalski@example.com", status: "sent" } }),
    );
    expect(delivery).toMatchObject({
      status: "sent",
      channel: "email",
      campaignId: "thank-you",
      locale: "pl",
      providerId: email.id,
    });
    expect(email.idempotencyKey).toBe(delivery.key);
    expect(delivery.key).toMatch(/^d\/thank-you\/main\/[0-9a-f-]{36}\/[0-9a-f-]{36}$/);
    const interaction = await database.db.interaction.findUniqueOrThrow({
      where: { deliveryId: delivery.id },
    });
    expect(interaction).toMatchObject({ direction: "outbound", author: "bot", channel: "email" });
  });

  it("sends one email for an order posted twice", async () => {
    const order = purchase({ email: "siti.rahayu@example.com", name: "Siti Rahayu", locale: "id" }, "IDR", [
      { sku: "BTK-12", name: "Kemeja batik", quantity: 1, price: 275000 },
    ]);
    const [first, second] = [await app.postEvent(order), await app.postEvent(order)];
    expect([first.status, second.status]).toEqual([201, 200]);
    await waitFor("the email at Resend", () =>
      resend.emails.find((e) => e.to.includes("siti.rahayu@example.com")),
    );
    await app.postEvent(order);
    await drained();

    const emails = resend.emails.filter((e) => e.to.includes("siti.rahayu@example.com"));
    expect(emails).toHaveLength(1);
    expect(emails[0]!.subject).toMatch(/terima kasih/i);
    expect(emails[0]!.html).toContain("Rp\u00a0275.000");
    expect(await database.db.event.count({ where: { externalId: order.orderId } })).toBe(1);
    expect(await database.db.delivery.count({ where: { recipient: "siti.rahayu@example.com" } })).toBe(1);
  });

  it("retries after Resend accepted the email but the answer was lost, without a second email", async () => {
    resend.failNext({ status: 500, acceptThenFail: true });
    const order = purchase({ email: "lost.answer@example.com", name: "Emma", locale: "en" }, "USD", [
      { sku: "MUG-01", name: "Mug", quantity: 2, price: 14.5 },
    ]);
    await app.postEvent(order);
    const delivery = await waitFor("the delivery to be sent", () =>
      database.db.delivery.findFirst({ where: { recipient: "lost.answer@example.com", status: "sent" } }),
    );
    const emails = resend.emails.filter((e) => e.to.includes("lost.answer@example.com"));
    expect(emails).toHaveLength(1);
    expect(emails[0]!.html).toContain("$29.00");
    expect(delivery.attempts).toBe(2);
    const posts = resend.requests.filter(
      (r) => r.path === "/emails" && r.headers["idempotency-key"] === delivery.key,
    );
    expect(posts.map((r) => r.status)).toEqual([500, 200]);
  });

  it("waits out a 429 for Resend's retry-after and then sends, losing nothing", async () => {
    resend.failNext({ status: 429, retryAfter: 1 });
    const order = purchase({ email: "rate.limited@example.com", locale: "en" }, "EUR", [
      { sku: "TEA", quantity: 1, price: 9.99 },
    ]);
    await app.postEvent(order);
    const delivery = await waitFor("the delivery to be sent", () =>
      database.db.delivery.findFirst({ where: { recipient: "rate.limited@example.com", status: "sent" } }),
    );
    const posts = resend.requests.filter((r) => r.headers["idempotency-key"] === delivery.key);
    expect(posts.map((r) => r.status)).toEqual([429, 200]);
    expect(resend.emails.filter((e) => e.to.includes("rate.limited@example.com"))).toHaveLength(1);
    // a rate limit is the provider's signal, not a failed attempt
    expect(delivery.attempts).toBe(1);
  });

  it("fails a delivery Resend refuses for good, with the provider's reason, and does not retry it", async () => {
    resend.failNext({ status: 422, name: "validation_error", message: "Invalid `to` field." });
    const order = purchase({ email: "refused@example.com", locale: "en" }, "USD", [
      { sku: "X", quantity: 1, price: 1 },
    ]);
    await app.postEvent(order);
    const delivery = await waitFor("the delivery to fail", () =>
      database.db.delivery.findFirst({ where: { recipient: "refused@example.com", status: "failed" } }),
    );
    expect(delivery.reason).toBe("rejected");
    expect(delivery.error).toContain("validation_error");
    await drained();
    expect(resend.requests.filter((r) => r.headers["idempotency-key"] === delivery.key)).toHaveLength(1);
  });
});

describe("without RESEND_API_KEY", () => {
  const outboxRedis = useTestRedis();
  let outboxApp: TestApp;
  beforeAll(async () => {
    outboxApp = await startTestApp({
      databaseUrl: database.url,
      redisUrl: outboxRedis.url,
      prefix: outboxRedis.prefix,
    });
  });
  afterAll(() => outboxApp?.close());

  it("writes the thank-you to the outbox as <delivery-id>.eml", async () => {
    const order = purchase({ email: "outbox@example.com", name: "Emma Walker", locale: "en" }, "GBP", [
      { sku: "TEA-07", name: "Earl Grey", quantity: 3, price: 4.2 },
    ]);
    await outboxApp.postEvent(order);
    const delivery = await waitFor("the delivery to be sent", () =>
      database.db.delivery.findFirst({ where: { recipient: "outbox@example.com", status: "sent" } }),
    );
    const dir = path.join(outboxApp.dataDir, "outbox", "email");
    expect(readdirSync(dir)).toEqual([`${delivery.id}.eml`]);
    expect(delivery.providerId).toBe(path.join(dir, `${delivery.id}.eml`));
    const eml = readFileSync(path.join(dir, `${delivery.id}.eml`), "utf8");
    expect(eml).toMatch(/^To: outbox@example\.com$/m);
    expect(eml).toMatch(/^Content-Type: multipart\/alternative/m);
    // the parts read as text (8bit), as the outbox promises
    expect(eml).not.toMatch(/Content-Transfer-Encoding: base64/);
    const { body } = readEml(eml);
    expect(body).toContain("<html");
    expect(body).toContain("Emma");
    expect(body).toContain("£12.60");
  });
});
