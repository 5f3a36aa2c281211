import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InboundRetries, registerShopWebhooks, retryInboundFailure } from "../../bots/index.ts";
import { systemClock } from "../../lib/clock.ts";
import { createHttpServer } from "../../lib/http.ts";
import { silentLogger } from "../../lib/logger.ts";
import { hmacSha256 } from "../../lib/signature.ts";
import { useTestDatabase } from "../support/db.ts";
import { refuseRows } from "../support/refuse-rows.ts";
import { addStaff, type Browser, getPage, postForm, signIn, startConsole, uniqueEmail } from "./support.ts";

const SECRET = "shpss_console_failures_0123";
const fixture = readFileSync(new URL("../fixtures/shop/shopify-order.json", import.meta.url), "utf8");
const database = useTestDatabase();
const shop = createHttpServer({ log: silentLogger });
let http: FastifyInstance;
let admin: Browser;
let adminId: string;
let agent: Browser;

beforeAll(async () => {
  const retries = new InboundRetries();
  await registerShopWebhooks(shop, {
    db: database.db,
    clock: systemClock,
    onEvent: async () => undefined,
    shopifySecret: SECRET,
    retries,
  });
  const started = await startConsole({ db: database.db });
  http = started.http;
  started.deps.retryInboundFailure = (id) => retryInboundFailure(database.db, retries, id, new Date());
  const adminEmail = uniqueEmail("admin");
  adminId = await addStaff(database.db, adminEmail, "admin");
  admin = await signIn(http, adminEmail);
  const agentEmail = uniqueEmail("agent");
  await addStaff(database.db, agentEmail, "agent");
  agent = await signIn(http, agentEmail);
});
afterAll(async () => {
  await http?.close();
  await shop.close();
});

/** Shopify delivers a paid order with this id; returns the webhook's answer. */
async function order(id: string) {
  const body = JSON.stringify({
    ...JSON.parse(fixture),
    id: Number(id),
    admin_graphql_api_id: `gid://shopify/Order/${id}`,
  });
  return shop.inject({
    method: "POST",
    url: "/webhooks/shopify",
    headers: {
      "content-type": "application/json",
      "x-shopify-hmac-sha256": hmacSha256(SECRET, body, "base64"),
    },
    payload: body,
  });
}

const failureRow = (sourceKey: string) =>
  database.db.inboundFailure.findUniqueOrThrow({
    where: { channel_sourceKey: { channel: "shopify", sourceKey } },
  });

describe("the inbound failures page", () => {
  it("lists kept items, retries one that fails again and then succeeds, discards another, all audited", async () => {
    const allow = await refuseRows(database.db, "Event", "externalId", "59777");
    expect((await order("5977700000001")).statusCode).toBe(200);
    expect((await order("5977700000002")).statusCode).toBe(200);
    const first = await failureRow("shopify:5977700000001");
    const second = await failureRow("shopify:5977700000002");

    const page = await getPage(http, admin, "/console/failures");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("shopify:5977700000001");
    expect(page.body).toContain("refused by the test");
    expect(page.body).toContain(`action="/console/failures/${first.id}/retry"`);
    // newest failure first
    expect(page.body.indexOf(second.id)).toBeLessThan(page.body.indexOf(first.id));
    const dashboard = await getPage(http, admin, "/console/dashboard");
    expect(dashboard.body).toContain('data-inbound-failures="2"');
    expect(dashboard.body).toContain('href="/console/failures"');

    const stillBroken = await postForm(http, admin, `/console/failures/${first.id}/retry`, {
      _csrf: admin.csrf,
    });
    expect(stillBroken.statusCode).toBe(409);
    expect(stillBroken.body).toContain("refused by the test");
    expect(await failureRow("shopify:5977700000001")).toMatchObject({ count: 2, resolvedAt: null });

    await allow();
    const retried = await postForm(http, admin, `/console/failures/${first.id}/retry`, { _csrf: admin.csrf });
    expect(retried.statusCode).toBe(303);
    expect(retried.headers.location).toBe("/console/failures?done=resolved");
    expect(await database.db.event.count({ where: { externalId: "shopify:5977700000001" } })).toBe(1);

    const discarded = await postForm(http, admin, `/console/failures/${second.id}/discard`, {
      _csrf: admin.csrf,
    });
    expect(discarded.statusCode).toBe(303);
    expect(await failureRow("shopify:5977700000002")).toMatchObject({ discardedBy: adminId });
    expect(await database.db.event.count({ where: { externalId: "shopify:5977700000002" } })).toBe(0);

    const after = await getPage(http, admin, "/console/failures");
    expect(after.body).not.toContain(first.id);
    expect(after.body).not.toContain(second.id);
    expect((await getPage(http, admin, "/console/dashboard")).body).not.toContain("data-inbound-failures");
    const audit = await database.db.auditLog.findMany({
      where: { targetType: "InboundFailure" },
      orderBy: { createdAt: "asc" },
    });
    expect(audit.map((a) => [a.action, a.targetId, a.staffUserId])).toEqual([
      ["inbound_failure.retry", first.id, adminId],
      ["inbound_failure.retry", first.id, adminId],
      ["inbound_failure.discard", second.id, adminId],
    ]);
  });

  it("is for admins only, and refuses a form without its CSRF token", async () => {
    expect((await getPage(http, agent, "/console/failures")).statusCode).toBe(403);
    const row = await database.db.inboundFailure.create({
      data: { channel: "shopify", sourceKey: "manual", payload: "{}", error: "test" },
    });
    expect(
      (await postForm(http, agent, `/console/failures/${row.id}/discard`, { _csrf: agent.csrf })).statusCode,
    ).toBe(403);
    expect((await postForm(http, admin, `/console/failures/${row.id}/discard`, {})).statusCode).toBe(403);
    expect((await getPage(http, agent, "/console/dashboard")).body).not.toContain("data-inbound-failures");
    expect(await database.db.inboundFailure.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({
      discardedAt: null,
    });
  });
});
