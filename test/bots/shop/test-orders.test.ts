import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { hmacSha256 } from "../../../lib/signature.ts";
import { QUEUE, queueFor } from "../../../workers/index.ts";
import { startTestApp, type TestApp } from "../../support/app.ts";
import { useTestDatabase } from "../../support/db.ts";
import { useTestRedis } from "../../support/redis.ts";
import { waitFor } from "../../support/wait.ts";

const SECRET = "shpss_test_orders_0123456789";
const fixture = readFileSync(new URL("../../fixtures/shop/shopify-order.json", import.meta.url), "utf8");

const database = useTestDatabase();
const redis = useTestRedis();
let app: TestApp | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

function start(testOrders?: "send"): Promise<TestApp> {
  return startTestApp({
    databaseUrl: database.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    env: { SHOPIFY_WEBHOOK_SECRET: SECRET, ...(testOrders && { SHOPIFY_TEST_ORDERS: testOrders }) },
  });
}

/** Posts the fixture order to Shopify's webhook as `id`, for `email`, flagged `test` or not. */
async function order(id: string, email: string, test: boolean): Promise<string> {
  const body = JSON.stringify({
    ...JSON.parse(fixture),
    id: Number(id),
    admin_graphql_api_id: `gid://shopify/Order/${id}`,
    email,
    contact_email: email,
    // each address its own Shopify customer, as in a shop: the customer id is what Rapport trusts first
    customer: {
      ...JSON.parse(fixture).customer,
      id: 900_000 + Number(id),
      admin_graphql_api_id: null,
      email,
    },
    test,
  });
  const response = await fetch(`${app!.url}/webhooks/shopify`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-shopify-hmac-sha256": hmacSha256(SECRET, body, "base64"),
      "x-shopify-topic": "orders/create",
    },
    body,
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { id: string }).id;
}

/** Waits until the events and plan queues have nothing waiting, active or delayed. */
async function drained(): Promise<void> {
  await waitFor("the queues to drain", async () => {
    for (const name of [QUEUE.events, QUEUE.plan]) {
      const counts = await queueFor(app!.queues, name).getJobCounts(
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

const deliveriesFor = (email: string) =>
  database.db.delivery.findMany({ where: { customer: { email } }, select: { campaignId: true } });

describe("Shopify test orders", () => {
  it("are stored but thank no one, while a real order after them is thanked", async () => {
    app = await start();
    const testEventId = await order("5910000000001", "owner.trying@example.com", true);
    await order("5910000000002", "real.buyer@example.com", false);

    await waitFor(
      "the real order's thank-you",
      async () => (await deliveriesFor("real.buyer@example.com")).length,
    );
    await drained();
    const event = await database.db.event.findUniqueOrThrow({ where: { id: testEventId } });
    expect(event.properties).toMatchObject({ test: true });
    expect(await deliveriesFor("owner.trying@example.com")).toEqual([]);
  });

  it("are thanked like real orders with SHOPIFY_TEST_ORDERS=send", async () => {
    app = await start("send");
    await order("5910000000003", "owner.sending@example.com", true);

    const planned = await waitFor("the test order's thank-you", async () => {
      const rows = await deliveriesFor("owner.sending@example.com");
      return rows.length ? rows : undefined;
    });
    expect(planned.map((d) => d.campaignId)).toContain("thank-you");
  });
});
