import { describe, expect, it } from "vitest";
import { claimContact } from "../../bots/contact-claims.ts";
import { captureEvent, captureMessage } from "../../bots/index.ts";
import { issueLinkCode, redeemLinkCode } from "../../bots/linking.ts";
import { attachContact, mergeCustomers, survivorOf } from "../../bots/merge.ts";
import { useTestDatabase } from "../support/db.ts";

const database = useTestDatabase();
let seq = 0;

async function telegramCustomer(name: string) {
  const id = String(800_000 + ++seq);
  const captured = await captureMessage(database.db, {
    channel: "telegram",
    externalId: `${id}:1`,
    sender: { externalId: id, displayName: name, locale: "pl" },
    threadRef: id,
    text: "Dzień dobry",
    sentAt: new Date("2026-11-01T10:00:00Z"),
  });
  return captured.customerId;
}

async function shopCustomer(email: string) {
  const event = await captureEvent(
    database.db,
    {
      type: "purchase",
      orderId: `M-${++seq}`,
      customer: { email },
      total: "10",
      currency: "PLN",
      items: [{ sku: "A", quantity: 1, price: "10" }],
      properties: {},
    },
    new Date("2026-11-05T10:00:00Z"),
  );
  return event.customerId;
}

describe("mergeCustomers", () => {
  it("moves identities, conversations, interactions, events and purchases to the older customer, once", async () => {
    const chat = await telegramCustomer("Jan");
    const shop = await shopCustomer("jan@example.com");
    const result = await mergeCustomers(database.db, shop, chat, { reason: "test" });
    expect(result).toEqual({ kind: "merged", survivorId: chat, mergedId: shop });

    const survivor = await database.db.customer.findUniqueOrThrow({
      where: { id: chat },
      include: { identities: true, interactions: true, events: true, purchases: true, conversations: true },
    });
    expect(survivor.identities.map((i) => i.channel).sort()).toEqual(["email", "telegram"]);
    expect(survivor).toMatchObject({ email: "jan@example.com", name: "Jan", locale: "pl" });
    expect(survivor.events).toHaveLength(1);
    expect(survivor.purchases).toHaveLength(1);
    expect(survivor.interactions).toHaveLength(1);
    expect(survivor.lastPurchaseAt?.toISOString()).toBe("2026-11-05T10:00:00.000Z");
    const tombstone = await database.db.customer.findUniqueOrThrow({ where: { id: shop } });
    expect(tombstone).toMatchObject({ mergedIntoId: chat, email: null });
    const audit = await database.db.auditLog.findMany({
      where: { action: "customer.merge", targetId: chat },
    });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.data).toEqual({ mergedId: shop, reason: "test" });

    expect(await mergeCustomers(database.db, shop, chat, { reason: "test" })).toEqual({
      kind: "same",
      survivorId: chat,
    });
    expect(await database.db.auditLog.count({ where: { action: "customer.merge", targetId: chat } })).toBe(1);
    expect(await survivorOf(database.db, shop)).toBe(chat);
  });

  it("keeps the staff's tags of both customers on the survivor, once each", async () => {
    const chat = await telegramCustomer("Tagged");
    const shop = await shopCustomer("tagged@example.com");
    await database.db.customer.update({ where: { id: chat }, data: { tags: ["vip", "wholesale"] } });
    await database.db.customer.update({ where: { id: shop }, data: { tags: ["newsletter", "vip"] } });
    await mergeCustomers(database.db, shop, chat, { reason: "test" });
    const survivor = await database.db.customer.findUniqueOrThrow({ where: { id: chat } });
    expect(survivor.tags).toEqual(["newsletter", "vip", "wholesale"]);
  });

  it("makes one customer when a chat customer proves the email a shop customer has", async () => {
    const shop = await shopCustomer("siti@example.com");
    const chat = await telegramCustomer("Siti");
    const holder = await attachContact(database.db, chat, { email: "Siti@Example.com" });
    expect(holder).toBe(shop);
    expect(await database.db.identity.count({ where: { customerId: shop } })).toBe(2);
    // a later purchase with that email lands on the same customer
    expect(await shopCustomer("siti@example.com")).toBe(shop);
  });

  it("gives a customer a proven email nobody has yet, and keeps the first one", async () => {
    const chat = await telegramCustomer("Emma");
    expect(
      await attachContact(database.db, chat, { email: "emma@example.com", phone: "+441234567890" }),
    ).toBe(chat);
    await attachContact(database.db, chat, { email: "other@example.com" });
    expect(await database.db.customer.findUniqueOrThrow({ where: { id: chat } })).toMatchObject({
      email: "emma@example.com",
      phone: "+441234567890",
    });
  });
});

describe("contact claims", () => {
  it("stay on the claimant: no email, no identity, no merge with the address's holder", async () => {
    const holder = await shopCustomer("held@example.com");
    const chat = await telegramCustomer("Claimant");
    await claimContact(database.db, chat, {
      kind: "email",
      value: " Held@Example.com ",
      source: "chat_message",
    });
    await claimContact(database.db, chat, {
      kind: "email",
      value: "held@example.com",
      source: "webchat_identify",
    });
    const claimant = await database.db.customer.findUniqueOrThrow({
      where: { id: chat },
      include: { identities: true, contactClaims: true },
    });
    expect(claimant.email).toBeNull();
    expect(claimant.identities.map((i) => i.channel)).toEqual(["telegram"]);
    expect(claimant.contactClaims).toMatchObject([{ value: "held@example.com", source: "chat_message" }]);
    expect(await survivorOf(database.db, holder)).toBe(holder);
  });

  it("move to the survivor of a merge, the same claim kept once", async () => {
    const a = await telegramCustomer("A");
    const b = await telegramCustomer("B");
    await claimContact(database.db, a, { kind: "phone", value: "+48600000001", source: "telegram_contact" });
    await claimContact(database.db, b, { kind: "phone", value: "+48600000001", source: "telegram_contact" });
    await claimContact(database.db, b, { kind: "email", value: "b@example.com", source: "chat_message" });
    await mergeCustomers(database.db, a, b, { reason: "staff", actorType: "staff" });
    const claims = await database.db.contactClaim.findMany({
      where: { customerId: a },
      orderBy: { value: "asc" },
    });
    expect(claims.map((c) => c.value)).toEqual(["+48600000001", "b@example.com"]);
    expect(await database.db.contactClaim.count({ where: { customerId: b } })).toBe(0);
  });
});

describe("link codes", () => {
  const now = new Date("2026-11-23T10:00:00Z");

  it("join two customers once, before they expire", async () => {
    const telegram = await telegramCustomer("Ada");
    const other = await telegramCustomer("Ada on another app");
    const code = await issueLinkCode(database.db, telegram, "telegram", now);
    expect(code).toMatch(/^[2-9A-HJ-KM-NP-Z]{6}$/);
    expect(
      await redeemLinkCode(database.db, code.toLowerCase(), other, new Date(now.getTime() + 60_000)),
    ).toEqual({
      kind: "linked",
      customerId: telegram,
    });
    expect(await redeemLinkCode(database.db, code, other, new Date(now.getTime() + 120_000))).toEqual({
      kind: "invalid",
    });
    expect(await database.db.identity.count({ where: { customerId: telegram } })).toBe(2);
  });

  it("refuse an expired code", async () => {
    const a = await telegramCustomer("B");
    const b = await telegramCustomer("C");
    const code = await issueLinkCode(database.db, a, "telegram", now);
    expect(await redeemLinkCode(database.db, code, b, new Date(now.getTime() + 11 * 60_000))).toEqual({
      kind: "invalid",
    });
  });
});
