import type { Worker } from "bullmq";
import { Api } from "grammy";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { shopifyCoupons, wooCommerceCoupons } from "../../bots/index.ts";
import { createTelegramChannel } from "../../bots/telegram/channel.ts";
import { compileCampaign } from "../../campaigns/index.ts";
import { systemClock } from "../../lib/clock.ts";
import { createTemplateStore } from "../../templates/index.ts";
import type { LiveCampaign } from "../../workers/campaign-registry.ts";
import { couponFor } from "../../workers/coupons.ts";
import { startDeliverWorker } from "../../workers/deliver.ts";
import { type DeliverJob, enqueueDeliveries } from "../../workers/deliver-queue.ts";
import { closeQueues, type QueueContext } from "../../workers/index.ts";
import { type FakeTelegram, startFakeTelegram } from "../fakes/index.ts";
import { type FakeShopifyAdmin, startFakeShopifyAdmin } from "../fakes/shopify-admin.ts";
import { type FakeWooCommerce, startFakeWooCommerce } from "../fakes/woocommerce.ts";
import { useTestDatabase } from "../support/db.ts";
import { deletePrefix, randomPrefix, useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";

const database = useTestDatabase();
const redis = useTestRedis();
const now = () => performance.now();

let telegram: FakeTelegram;
let shopify: FakeShopifyAdmin;
let woo: FakeWooCommerce;
let worker: Worker<DeliverJob> | undefined;
let queues: QueueContext;

const SOURCE = `id: win-back-shop
name: Win back
kind: transactional
trigger: { event: purchase }
channels: [telegram]
message:
  template: win-back
  data: { discount: 15, coupon: unique(WINBACK15), valid_days: 14 }
coupons:
  WINBACK15: { percentage: 15, ends_at: "2027-01-31T23:59:59Z", once_per_customer: true }
`;
const campaign = compileCampaign(SOURCE, "win-back-shop.yaml");
const live: LiveCampaign = { campaign, versionId: "00000000-0000-4000-8000-000000000001", status: "active" };

beforeAll(async () => {
  telegram = await startFakeTelegram({ now });
  shopify = await startFakeShopifyAdmin({ now });
  woo = await startFakeWooCommerce({ now });
  await database.db.campaign.create({ data: { id: campaign.id, name: campaign.name } });
});
afterEach(async () => {
  await worker?.close();
  worker = undefined;
  await closeQueues(queues);
  await deletePrefix(redis.redis, queues.prefix);
});
afterAll(async () => {
  await telegram?.close();
  await shopify?.close();
  await woo?.close();
});

/** Win-back messages on Telegram to `count` new customers, each with their own WINBACK15 code. */
async function queuedWinBacks(count: number, tag: string, chatBase: number) {
  const rows = [];
  for (let i = 0; i < count; i++) {
    const customer = await database.db.customer.create({
      data: { name: `${tag} ${i}`, email: `${tag}${i}@example.com` },
    });
    const code = await couponFor(database.db, {
      prefix: "WINBACK15",
      customerId: customer.id,
      campaignId: campaign.id,
    });
    const delivery = await database.db.delivery.create({
      data: {
        key: `c/${tag}/${customer.id}`,
        kind: "transactional",
        campaignId: campaign.id,
        customerId: customer.id,
        channel: "telegram",
        status: "queued",
        template: "win-back",
        locale: "en",
        recipient: String(chatBase + i),
        data: {
          customer: { name: `${tag} ${i}` },
          brand: { name: "Acme", url: "https://acme.example" },
          discount: 15,
          coupon: code,
          validUntil: "2027-01-31T23:59:59.000Z",
        },
      },
    });
    rows.push({ ...delivery, channel: "telegram" as const, code });
  }
  return rows;
}

function startWorker(shop: Parameters<typeof startDeliverWorker>[0]["shopCoupons"]) {
  queues = { connection: redis.redis, prefix: randomPrefix() };
  worker = startDeliverWorker(
    {
      db: database.db,
      clock: systemClock,
      log: pino({ level: process.env.D_LOG ?? "silent" }),
      templates: createTemplateStore(),
      publicUrl: "https://crm.acme.example",
      unsubscribeSecret: "unsubscribe-secret-0123456789",
      campaign: (id) => (id === campaign.id ? live : undefined),
      connection: redis.redis,
      prefix: queues.prefix,
      concurrency: 5,
      shopCoupons: shop,
    },
    createTelegramChannel(new Api(telegram.token, { apiRoot: telegram.apiRoot })),
  );
}

const sentTo = (chatId: number) =>
  telegram.calls.filter((c) => c.method === "sendMessage" && String(c.params.chat_id) === String(chatId));

describe("codes the shop accepts", () => {
  it("creates the codes at Shopify (one discount, the rest in bulk) before Telegram receives any message carrying them", async () => {
    const deliveries = await queuedWinBacks(3, "shopify", 700_100);
    startWorker(shopifyCoupons({ shop: "acme", token: shopify.token, baseUrl: shopify.url, pollMs: 10 }));
    await enqueueDeliveries({ db: database.db, queues, clock: systemClock }, deliveries);
    await waitFor(
      "three win-backs sent",
      async () =>
        (await database.db.delivery.count({
          where: { id: { in: deliveries.map((d) => d.id) }, status: "sent" },
        })) === 3,
    );
    const discounts = [...shopify.discounts.values()];
    expect(discounts).toHaveLength(1);
    expect(discounts[0]!.input).toMatchObject({
      appliesOncePerCustomer: true,
      endsAt: "2027-01-31T23:59:59.000Z",
      customerGets: { value: { percentage: 0.15 } },
    });
    for (const [i, delivery] of deliveries.entries()) {
      const messages = sentTo(700_100 + i);
      expect(messages).toHaveLength(1);
      expect(String(messages[0]!.params.text)).toContain(delivery.code);
      // the code was at the shop before the message arrived at Telegram
      const created = shopify.calls.filter(
        (c) => c.status === 200 && JSON.stringify(c.variables).includes(delivery.code),
      );
      expect(created.length).toBeGreaterThan(0);
      expect(created[0]!.at).toBeLessThan(messages[0]!.at);
      expect(shopify.codes.get(delivery.code)).toBe(discounts[0]!.id);
    }
    const coupons = await database.db.coupon.findMany({
      where: { code: { in: deliveries.map((d) => d.code) } },
    });
    expect(coupons).toHaveLength(3);
    for (const coupon of coupons) {
      expect(coupon.shop).toBe("shopify");
      expect(coupon.shopConfirmedAt).not.toBeNull();
    }
  });

  it("a failing shop call delays the message (waiting_for_shop, never sent, never failed), then sends it once", async () => {
    const [delivery] = await queuedWinBacks(1, "throttled", 700_200);
    // Shopify down (503), then throttled by cost, then 429: three failed looks before it answers
    shopify.failNext({ status: 503 });
    shopify.failNext({ throttled: true, currentlyAvailable: 1_950 });
    shopify.failNext({ status: 429, retryAfterSeconds: 0 });
    startWorker(shopifyCoupons({ shop: "acme", token: shopify.token, baseUrl: shopify.url, pollMs: 10 }));
    await enqueueDeliveries({ db: database.db, queues, clock: systemClock }, [delivery!]);
    const waiting = await waitFor("the delivery waiting for the shop", async () => {
      const row = await database.db.delivery.findUnique({ where: { id: delivery!.id } });
      return row?.reason === "waiting_for_shop" ? row : undefined;
    });
    expect(waiting.status).toBe("queued");
    expect(waiting.error).toMatch(/Shopify/);
    expect(sentTo(700_200)).toHaveLength(0);
    const sent = await waitFor(
      "the delivery sent",
      async () => {
        const row = await database.db.delivery.findUnique({ where: { id: delivery!.id } });
        return row?.status === "sent" ? row : undefined;
      },
      30_000,
    );
    expect(sent.reason).toBeNull();
    expect(sentTo(700_200)).toHaveLength(1);
    expect(String(sentTo(700_200)[0]!.params.text)).toContain(delivery!.code);
    expect(shopify.codes.has(delivery!.code)).toBe(true);
  }, 40_000);

  it("creates the codes at WooCommerce with POST /wp-json/wc/v3/coupons/batch before sending", async () => {
    const deliveries = await queuedWinBacks(2, "woo", 700_300);
    woo.failNext({ status: 429, retryAfterSeconds: 0 });
    startWorker(wooCommerceCoupons({ url: woo.url, key: woo.key, secret: woo.secret }));
    await enqueueDeliveries({ db: database.db, queues, clock: systemClock }, deliveries);
    await waitFor(
      "two win-backs sent",
      async () =>
        (await database.db.delivery.count({
          where: { id: { in: deliveries.map((d) => d.id) }, status: "sent" },
        })) === 2,
    );
    for (const [i, delivery] of deliveries.entries()) {
      const coupon = woo.coupons.get(delivery.code.toLowerCase());
      expect(coupon).toMatchObject({
        discount_type: "percent",
        amount: "15",
        usage_limit_per_user: 1,
        email_restrictions: [`woo${i}@example.com`],
        date_expires_gmt: "2027-01-31T23:59:59",
      });
      const messages = sentTo(700_300 + i);
      expect(messages).toHaveLength(1);
      const created = woo.calls.find(
        (c) => c.status === 200 && JSON.stringify(c.body).includes(delivery.code),
      );
      expect(created!.at).toBeLessThan(messages[0]!.at);
    }
  });
});
