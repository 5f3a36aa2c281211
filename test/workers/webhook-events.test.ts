import { describe, expect, it } from "vitest";
import { mergeCustomers } from "../../bots/index.ts";
import { eraseCustomer } from "../../console/customers/erase.ts";
import { newWebhookSecret, relayWebhooks, WEBHOOK_EVENTS } from "../../workers/index.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { purchaseOf } from "../support/webhook-receiver.ts";

const database = useTestDatabase();
const redis = useTestRedis();
const db = () => database.db;
const queues = () => ({ connection: redis.redis, prefix: `${redis.prefix}-relay` });

async function subscribe(events: string[], fields: string[] = [], url = "http://127.0.0.1:9/hooks") {
  return db().webhookSubscription.create({
    data: { name: events.join("+"), url, events, fields, secret: newWebhookSecret(), createdBy: "test" },
  });
}

/** The messages relayed for a subscription, oldest first, as `type` and the body's `data`. */
async function messagesOf(subscriptionId: string) {
  const rows = await db().webhookMessage.findMany({
    where: { subscriptionId },
    orderBy: { createdAt: "asc" },
  });
  return rows.map((row) => ({
    type: row.type,
    msgId: row.msgId,
    data: (row.payload as { data: Record<string, unknown> }).data,
  }));
}

describe("webhook events from the outbox", () => {
  it("writes nothing to the outbox while no subscription asks for anything", async () => {
    const { customerId } = await purchaseOf(db(), "quiet@example.com", "Q-1");
    await db().customer.update({ where: { id: customerId }, data: { name: "Quiet", loyaltyTier: "gold" } });
    expect(await db().webhookOutbox.count()).toBe(0);
  });

  it("turns each kind of change into its event for the subscriptions that ask for it, once", async () => {
    const all = await subscribe(["*"]);
    const lifecycle = await subscribe([
      "customer.created",
      "customer.updated",
      "customer.merged",
      "customer.erased",
      "loyalty.tier_changed",
    ]);
    const { customerId } = await purchaseOf(db(), "ola@example.com", "O-1");
    const other = await purchaseOf(db(), "ola.second@example.com", "O-2");
    await db().customer.update({ where: { id: customerId }, data: { name: "Ola Nowak" } });
    // a write that changes nothing a receiver sees (last interaction time) is no customer.updated
    await db().customer.update({ where: { id: customerId }, data: { lastInteractionAt: new Date() } });
    await db().customer.update({ where: { id: customerId }, data: { loyaltyTier: "silver" } });
    const conversation = await db().conversation.create({ data: { customerId, channel: "telegram" } });
    await db().interaction.createMany({
      data: [
        {
          customerId,
          conversationId: conversation.id,
          channel: "telegram",
          direction: "inbound",
          author: "customer",
          text: "Dzień dobry",
          externalId: "1:1",
          sentAt: new Date(),
        },
        {
          customerId,
          conversationId: conversation.id,
          channel: "telegram",
          direction: "outbound",
          author: "bot",
          text: "Witamy",
          externalId: "1:2",
          sentAt: new Date(),
        },
        {
          customerId,
          conversationId: conversation.id,
          channel: "telegram",
          direction: "inbound",
          author: "staff",
          text: "note",
          internal: true,
          sentAt: new Date(),
        },
      ],
    });
    await db().conversation.update({
      where: { id: conversation.id },
      data: { status: "closed", closedAt: new Date() },
    });
    const sent = await db().delivery.create({ data: { key: "k-sent", customerId, channel: "email" } });
    const failed = await db().delivery.create({ data: { key: "k-failed", customerId, channel: "telegram" } });
    await db().delivery.update({
      where: { id: sent.id },
      data: { status: "sent", sentAt: new Date(), providerId: "re_1" },
    });
    await db().delivery.update({
      where: { id: failed.id },
      data: { status: "failed", reason: "blocked", failedAt: new Date() },
    });
    await db().consentEvent.create({
      data: { customerId, channel: "email", status: "granted", source: "events_api", at: new Date() },
    });
    await db().segmentMember.create({ data: { segment: "vip", customerId } });
    await db().segmentMember.delete({ where: { segment_customerId: { segment: "vip", customerId } } });
    const merge = await mergeCustomers(db(), customerId, other.customerId, { reason: "staff" });
    expect(merge.kind).toBe("merged");

    const relayed = await relayWebhooks(db(), queues());
    expect(relayed.events).toBeGreaterThan(0);
    expect(await db().webhookOutbox.count()).toBe(0);

    const seen = await messagesOf(all.id);
    const types = seen.map((m) => m.type);
    for (const type of WEBHOOK_EVENTS.filter((t) => !["purchase.created", "customer.erased"].includes(t))) {
      expect(types, type).toContain(type);
    }
    const count = (type: string) => types.filter((t) => t === type).length;
    expect(count("customer.created")).toBe(2);
    expect(count("message.received")).toBe(1);
    expect(seen.find((m) => m.type === "message.received")!.data).toMatchObject({
      customerId,
      conversationId: conversation.id,
      channel: "telegram",
      text: "Dzień dobry",
    });
    // one customer.updated for the new name: the writes after it (last interaction, tier) changed no profile field
    const renamed = seen.filter((m) => m.type === "customer.updated" && m.data.name === "Ola Nowak");
    expect(renamed).toHaveLength(1);
    expect(renamed[0]!.data).toMatchObject({ id: customerId, email: "ola@example.com" });
    expect(seen.find((m) => m.type === "loyalty.tier_changed")!.data).toEqual({
      customerId,
      from: null,
      to: "silver",
      points: 0,
    });
    expect(seen.find((m) => m.type === "conversation.closed")!.data).toMatchObject({ id: conversation.id });
    expect(seen.find((m) => m.type === "delivery.sent")!.data).toMatchObject({
      id: sent.id,
      providerId: "re_1",
    });
    expect(seen.find((m) => m.type === "delivery.failed")!.data).toMatchObject({
      id: failed.id,
      reason: "blocked",
    });
    expect(seen.find((m) => m.type === "consent.changed")!.data).toMatchObject({
      channel: "email",
      status: "granted",
    });
    expect(seen.find((m) => m.type === "segment.entered")!.data).toMatchObject({
      segment: "vip",
      customerId,
    });
    const survivor = merge.kind === "merged" ? merge.survivorId : "";
    expect(seen.find((m) => m.type === "customer.merged")!.data).toEqual({
      id: survivor,
      mergedId: survivor === customerId ? other.customerId : customerId,
    });
    // every event its own message id
    expect(new Set(seen.map((m) => m.msgId)).size).toBe(seen.length);

    // the lifecycle subscription got only its five types, the same events
    const lifecycleTypes = new Set((await messagesOf(lifecycle.id)).map((m) => m.type));
    expect([...lifecycleTypes].sort()).toEqual([
      "customer.created",
      "customer.merged",
      "customer.updated",
      "loyalty.tier_changed",
    ]);

    // a second round finds nothing new: the rows went with the first
    expect((await relayWebhooks(db(), queues())).events).toBe(0);
    expect(await db().webhookMessage.count({ where: { subscriptionId: all.id } })).toBe(seen.length);

    // customer.erased carries the id, nothing else of the person
    const erased = await eraseCustomer(db(), survivor, survivor, {
      staffUserId: (await staff()).id,
      at: new Date(),
    });
    expect(erased.kind).toBe("erased");
    await relayWebhooks(db(), queues());
    const after = await messagesOf(all.id);
    const erasure = after.filter((m) => m.type === "customer.erased");
    expect(erasure).toHaveLength(1);
    expect(erasure[0]!.data).toEqual({ id: survivor, externalId: null });
    await db().webhookSubscription.deleteMany({});
  });

  it("keeps to the allow-list, skips a customer who refused data sharing, and writes nothing for a change rolled back", async () => {
    const partner = await subscribe(["customer.updated", "message.received"], ["id", "channel"]);
    const { customerId } = await purchaseOf(db(), "jan@example.com", "J-1");
    const refused = await purchaseOf(db(), "ania@example.com", "A-1");
    await db().customer.update({
      where: { id: refused.customerId },
      data: { consent: { data_sharing: { status: "denied" } } },
    });
    await db().customer.update({ where: { id: refused.customerId }, data: { name: "Ania" } });
    await db().customer.update({ where: { id: customerId }, data: { name: "Jan" } });
    await expect(
      db().$transaction(async (tx) => {
        await tx.customer.update({ where: { id: customerId }, data: { name: "Never" } });
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    await relayWebhooks(db(), queues());
    const seen = await messagesOf(partner.id);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ type: "customer.updated", data: { id: customerId } });
    expect(Object.keys(seen[0]!.data)).toEqual(["id"]);
    await db().webhookSubscription.deleteMany({});
  });
});

async function staff() {
  return db().staffUser.create({
    data: { email: `admin-${Date.now()}@example.com`, name: "Admin", role: "admin", passwordHash: "x" },
  });
}
