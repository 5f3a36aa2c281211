import type { Worker } from "bullmq";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../lib/logger.ts";
import { enqueueWebhook, startWebhooksWorker } from "../../workers/webhooks.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";
import { receiver } from "../support/webhook-receiver.ts";
import { type Browser, capturingLogger, getPage, postForm, signedInAs, startConsole } from "./support.ts";

const database = useTestDatabase();
const redis = useTestRedis();
/** Every line the console logged, at every level. */
const { log, lines: logged } = capturingLogger();
let http: FastifyInstance;
let worker: Worker;
let admin: Browser;
let adminId: string;
let agent: Browser;
let marketer: Browser;
const queues = () => ({ connection: redis.redis, prefix: redis.prefix });

beforeAll(async () => {
  const started = await startConsole({ db: database.db, log });
  http = started.http;
  started.deps.queues = queues();
  worker = startWebhooksWorker({
    db: database.db,
    log: silentLogger,
    connection: redis.redis,
    prefix: redis.prefix,
    retryMs: [200, 200],
  });
  const signedAdmin = await signedInAs(http, database.db, "admin");
  admin = signedAdmin;
  adminId = signedAdmin.id;
  agent = await signedInAs(http, database.db, "agent");
  marketer = await signedInAs(http, database.db, "marketer");
});
afterAll(async () => {
  await worker?.close();
  await http?.close();
});

const SECRET = /whsec_[A-Za-z0-9+/=]{32}/g;
const subscriptionAt = (url: string) => database.db.webhookSubscription.findFirstOrThrow({ where: { url } });
const add = (fields: Record<string, string | string[]>, browser = admin) =>
  postForm(http, browser, "/console/webhooks", { _csrf: browser.csrf, ...fields });

describe("the webhooks page", () => {
  it("adds a subscription showing its secret once, then pauses, resumes and removes it, all audited", async () => {
    const page = await getPage(http, admin, "/console/webhooks");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('name="events" value="*"');
    expect(page.body).toContain('name="events" value="purchase.created"');

    const url = `https://erp.example.com/hooks/${Date.now()}`;
    const added = await add({
      name: "ERP",
      url,
      events: ["purchase.created", "delivery.sent"],
      fields: "orderId, total ,currency",
    });
    expect(added.statusCode).toBe(201);
    expect(added.headers.location).toBeUndefined();
    expect(added.headers["cache-control"]).toBe("no-store");
    const shown = added.body.match(SECRET) ?? [];
    expect(shown).toHaveLength(1);
    expect(added.body).toContain("the only time the secret is shown");
    const row = await subscriptionAt(url);
    expect(row).toMatchObject({
      name: "ERP",
      events: ["purchase.created", "delivery.sent"],
      fields: ["orderId", "total", "currency"],
      secret: shown[0],
      active: true,
      pausedAt: null,
    });

    const listed = await getPage(http, admin, "/console/webhooks");
    expect(listed.body).toContain(`data-subscription="${row.id}"`);
    expect(listed.body).toContain(url);
    expect(listed.body).toContain("<code>orderId</code>");
    expect(listed.body).not.toContain(row.secret);

    const paused = await postForm(http, admin, `/console/webhooks/${row.id}/pause`, { _csrf: admin.csrf });
    expect(paused.statusCode).toBe(303);
    expect(paused.headers.location).toBe("/console/webhooks?done=paused");
    expect((await subscriptionAt(url)).pausedAt).not.toBeNull();
    const pausedPage = await getPage(http, admin, "/console/webhooks?done=paused");
    expect(pausedPage.body).toContain("The subscription is paused");
    expect(pausedPage.body).toContain(`action="/console/webhooks/${row.id}/resume"`);
    // paused by hand: no "failed for 3 days" notice
    expect((await getPage(http, admin, "/console/dashboard")).body).not.toContain(
      `data-paused-webhook="${row.id}"`,
    );

    const resumed = await postForm(http, admin, `/console/webhooks/${row.id}/resume`, { _csrf: admin.csrf });
    expect(resumed.headers.location).toBe("/console/webhooks?done=resumed");
    expect((await subscriptionAt(url)).pausedAt).toBeNull();

    const removed = await postForm(http, admin, `/console/webhooks/${row.id}/remove`, { _csrf: admin.csrf });
    expect(removed.headers.location).toBe("/console/webhooks?done=removed");
    expect((await subscriptionAt(url)).active).toBe(false);
    const afterRemove = await getPage(http, admin, "/console/webhooks");
    expect(afterRemove.body).not.toContain(`action="/console/webhooks/${row.id}/pause"`);
    expect(afterRemove.body).not.toContain(`action="/console/webhooks/${row.id}/remove"`);

    const audit = await database.db.auditLog.findMany({
      where: { targetId: row.id },
      orderBy: { createdAt: "asc" },
    });
    expect(audit.map((a) => [a.action, a.staffUserId])).toEqual([
      ["webhook.subscribe", adminId],
      ["webhook.pause", adminId],
      ["webhook.resume", adminId],
      ["webhook.remove", adminId],
    ]);
    expect(JSON.stringify(await database.db.auditLog.findMany())).not.toContain(row.secret);
    expect(logged.join("")).not.toContain(row.secret);
  });

  it("refuses a URL that is not https (but for loopback), unknown events and bad field names, writing nothing", async () => {
    const before = await database.db.webhookSubscription.count();
    const cases: [Record<string, string | string[]>, string][] = [
      [{ url: "http://erp.example.com/hooks", events: "*" }, "URL: use https."],
      [{ url: "ftp://erp.example.com/hooks", events: "*" }, "URL: it must start with https://."],
      [{ url: "https://user:pw@erp.example.com/", events: "*" }, "URL: put no user name or password"],
      [{ url: "not a url", events: "*" }, "URL: enter a full address"],
      [{ url: "https://erp.example.com/" }, "Events: choose at least one."],
      [{ url: "https://erp.example.com/", events: "order.paid" }, "Events: choose at least one."],
      [{ url: "https://erp.example.com/", events: "*", fields: "order-id, total" }, "order-id"],
      [{ url: "https://erp.example.com/", events: "*", name: "x".repeat(201) }, "Name: at most 200"],
    ];
    for (const [fields, message] of cases) {
      const refused = await add(fields);
      expect(refused.statusCode, message).toBe(400);
      expect(refused.body).toContain(message);
      expect(refused.body.match(SECRET)).toBeNull();
    }
    expect(await database.db.webhookSubscription.count()).toBe(before);

    for (const url of ["http://127.0.0.1:9/hooks", "http://localhost:8080/hooks", "http://[::1]:9/"]) {
      expect((await add({ url, events: "*" })).statusCode, url).toBe(201);
    }
    expect(await database.db.webhookSubscription.count()).toBe(before + 3);
  });

  it("shows each message with its tries, and replays one to a loopback receiver: a new try appears", async () => {
    const receiving = await receiver([410]);
    try {
      const added = await add({ name: "Warehouse", url: receiving.url, events: "purchase.created" });
      expect(added.statusCode).toBe(201);
      const subscription = await subscriptionAt(receiving.url);
      const message = await database.db.webhookMessage.create({
        data: {
          subscriptionId: subscription.id,
          msgId: `msg_console_${Date.now()}`,
          type: "purchase.created",
          payload: { type: "purchase.created", timestamp: new Date().toISOString(), data: { orderId: "7" } },
        },
      });
      await enqueueWebhook(queues(), message.id);
      // a 410 is the receiver refusing the body: failed at once, not retried
      await waitFor("the message to fail", async () => {
        const m = await database.db.webhookMessage.findUniqueOrThrow({ where: { id: message.id } });
        return m.status === "failed" ? m : undefined;
      });

      const page = await getPage(http, admin, `/console/webhooks/${subscription.id}`);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain(message.msgId);
      expect(page.body.match(/data-attempt="/g)).toHaveLength(1);
      expect(page.body).toContain("down for a bit");
      expect(page.body).toContain(">410<");
      const replayAction = `/console/webhooks/${subscription.id}/messages/${message.id}/replay`;
      expect(page.body).toContain(`action="${replayAction}"`);

      // without its CSRF token, or by an agent: refused, nothing sent
      expect((await postForm(http, admin, replayAction, {})).statusCode).toBe(403);
      expect((await postForm(http, agent, replayAction, { _csrf: agent.csrf })).statusCode).toBe(403);
      // a message of another subscription is not found through this one
      const other = await database.db.webhookSubscription.findFirstOrThrow({
        where: { id: { not: subscription.id } },
      });
      expect(
        (
          await postForm(http, admin, `/console/webhooks/${other.id}/messages/${message.id}/replay`, {
            _csrf: admin.csrf,
          })
        ).statusCode,
      ).toBe(404);
      expect(receiving.received).toHaveLength(1);

      const replayed = await postForm(http, admin, replayAction, { _csrf: admin.csrf });
      expect(replayed.statusCode).toBe(303);
      expect(replayed.headers.location).toBe(`/console/webhooks/${subscription.id}?done=replayed`);
      await waitFor("the replayed message to be delivered", async () => {
        const m = await database.db.webhookMessage.findUniqueOrThrow({ where: { id: message.id } });
        return m.status === "delivered" ? m : undefined;
      });
      expect(receiving.received).toHaveLength(2);
      expect(receiving.received.map((r) => r.headers["webhook-id"])).toEqual([message.msgId, message.msgId]);
      expect(receiving.received[1]!.body).toBe(receiving.received[0]!.body);

      const after = await getPage(http, admin, `/console/webhooks/${subscription.id}?done=replayed`);
      expect(after.body).toContain("The message was queued to be sent again.");
      expect(after.body.match(/data-attempt="/g)).toHaveLength(2);
      expect(after.body).toContain(">200<");
      expect(after.body).toContain("thanks");
      expect(
        await database.db.auditLog.findMany({
          where: { action: "webhook.replay", targetId: message.id },
          select: { staffUserId: true },
        }),
      ).toEqual([{ staffUserId: adminId }]);

      // a paused subscription sends nothing: replaying says so
      await postForm(http, admin, `/console/webhooks/${subscription.id}/pause`, { _csrf: admin.csrf });
      const refused = await postForm(http, admin, replayAction, { _csrf: admin.csrf });
      expect(refused.statusCode).toBe(409);
      expect(refused.body).toContain("resume it before replaying");
    } finally {
      await receiving.close();
    }
  });

  it("tells admins on the dashboard and in the navigation which subscription is paused after failing, until resumed", async () => {
    const since = new Date("2026-12-01T08:00:00Z");
    const paused = await database.db.webhookSubscription.create({
      data: {
        name: "Partner CRM",
        url: "https://crm.partner.example/hooks",
        events: ["*"],
        fields: [],
        secret: "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0",
        createdBy: "cli:test",
        failingSince: since,
        pausedAt: new Date("2026-12-04T08:00:00Z"),
      },
    });
    const dashboard = await getPage(http, admin, "/console/dashboard");
    expect(dashboard.body).toContain(`data-paused-webhook="${paused.id}"`);
    expect(dashboard.body).toContain("Webhook Partner CRM is paused since");
    expect(dashboard.body).toContain("press Resume on the webhooks page");
    expect(dashboard.body).toContain('<a href="/console/webhooks">Open the webhooks</a>');
    const inbox = await getPage(http, admin, "/console/inbox");
    expect(inbox.body).toMatch(/href="\/console\/webhooks"[^>]*>Webhooks <span class="badge nav-badge"/);
    for (const browser of [agent, marketer]) {
      expect((await getPage(http, browser, "/console/dashboard")).body).not.toContain("data-paused-webhook");
    }

    await postForm(http, admin, `/console/webhooks/${paused.id}/resume`, { _csrf: admin.csrf });
    expect(
      await database.db.webhookSubscription.findUniqueOrThrow({ where: { id: paused.id } }),
    ).toMatchObject({
      pausedAt: null,
      failingSince: null,
    });
    expect((await getPage(http, admin, "/console/dashboard")).body).not.toContain("data-paused-webhook");
    expect((await getPage(http, admin, "/console/inbox")).body).not.toContain("nav-badge");
  });

  it("is for admins only, and refuses a form without its CSRF token, writing nothing", async () => {
    const row = await database.db.webhookSubscription.create({
      data: {
        name: "kept",
        url: "https://kept.example/",
        events: ["*"],
        fields: [],
        secret: "s",
        createdBy: "x",
      },
    });
    const before = await database.db.webhookSubscription.count();
    const audits = await database.db.auditLog.count({ where: { action: { startsWith: "webhook." } } });
    for (const browser of [agent, marketer]) {
      expect((await getPage(http, browser, "/console/webhooks")).statusCode).toBe(403);
      expect((await getPage(http, browser, `/console/webhooks/${row.id}`)).statusCode).toBe(403);
      const refused = await add({ url: "https://sneaky.example/", events: "*" }, browser);
      expect(refused.statusCode).toBe(403);
      expect(refused.body.match(SECRET)).toBeNull();
      for (const change of ["pause", "remove"]) {
        const response = await postForm(http, browser, `/console/webhooks/${row.id}/${change}`, {
          _csrf: browser.csrf,
        });
        expect(response.statusCode).toBe(403);
      }
    }
    const noCsrf = await add({ _csrf: "", url: "https://sneaky.example/", events: "*" });
    expect(noCsrf.statusCode).toBe(403);
    expect((await postForm(http, admin, `/console/webhooks/${row.id}/remove`, {})).statusCode).toBe(403);
    expect(await database.db.webhookSubscription.count()).toBe(before);
    expect(await database.db.webhookSubscription.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({
      active: true,
      pausedAt: null,
    });
    expect(await database.db.auditLog.count({ where: { action: { startsWith: "webhook." } } })).toBe(audits);
    expect((await getPage(http, agent, "/console/inbox")).body).not.toContain('href="/console/webhooks"');
    expect((await getPage(http, admin, "/console/webhooks/not-an-id")).statusCode).toBe(404);
    expect(
      (await getPage(http, admin, "/console/webhooks/00000000-0000-4000-8000-000000000000")).statusCode,
    ).toBe(404);
  });
});
