import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { recordConsent } from "../../bots/consent.ts";
import { type BotReply, createResponder, type InboundMessage, loadReplies } from "../../bots/index.ts";
import { PROJECT_DIR } from "../../cli/app.ts";
import { manualClock } from "../../lib/clock.ts";
import { silentLogger } from "../../lib/logger.ts";
import { useTestDatabase } from "../support/db.ts";

// Every change of consent is a ConsentEvent (append-only history) and the customer's latest answer.
const database = useTestDatabase();
const clock = manualClock(Date.parse("2026-11-23T03:00:00Z"));
let responder: ReturnType<typeof createResponder>;
const replies: BotReply[] = [];
beforeAll(() => {
  responder = createResponder({
    db: database.db,
    replies: loadReplies(path.join(PROJECT_DIR, "bots", "replies.yaml")),
    sendReply: async (reply) => void replies.push(reply),
    clock,
    log: silentLogger,
    brandName: "Acme",
  });
});

const say = (chatId: number, messageId: number, text: string): InboundMessage => ({
  channel: "telegram",
  externalId: `${chatId}:${messageId}`,
  sender: { externalId: String(chatId), displayName: "Ola", locale: "pl" },
  threadRef: String(chatId),
  text,
  sentAt: new Date(clock.now()),
});

describe("consent history", () => {
  it("records /start and /stop in chat as events with the message as evidence, and the latest answer", async () => {
    await responder(say(7001, 1, "/start"));
    clock.advance(60_000);
    await responder(say(7001, 2, "/stop"));
    clock.advance(60_000);
    await responder(say(7001, 3, "/stop")); // the same answer again changes nothing
    const identity = await database.db.identity.findFirstOrThrow({ where: { externalId: "7001" } });
    const events = await database.db.consentEvent.findMany({
      where: { customerId: identity.customerId },
      orderBy: { at: "asc" },
    });
    expect(events.map((e) => [e.channel, e.status, e.source])).toEqual([
      ["telegram", "granted", "chat_start"],
      ["telegram", "denied", "chat_stop"],
    ]);
    expect(events[1]!.evidence).toEqual({ command: "/stop", messageId: "7001:2" });
    const customer = await database.db.customer.findUniqueOrThrow({ where: { id: identity.customerId } });
    expect(customer.consent).toMatchObject({ telegram: { status: "denied", via: "chat_stop" } });
  });

  it("keeps a newer answer when an older one arrives late, and never lets pending replace an answer", async () => {
    const customer = await database.db.customer.create({ data: { email: "late@example.com" } });
    const record = (status: "granted" | "denied" | "pending", at: string, source = "shopify") =>
      database.db.$transaction((tx) =>
        recordConsent(tx, { customerId: customer.id, channel: "email", status, source, at: new Date(at) }),
      );
    expect(await record("granted", "2026-11-20T10:00:00Z")).toBe(true);
    expect(await record("denied", "2026-11-19T10:00:00Z")).toBe(false); // a late webhook of an older state
    expect(await record("pending", "2026-11-21T10:00:00Z", "double_opt_in")).toBe(true); // history only
    expect(await record("denied", "2026-11-22T10:00:00Z", "unsubscribe_link")).toBe(true);
    const events = await database.db.consentEvent.findMany({
      where: { customerId: customer.id },
      orderBy: { at: "asc" },
    });
    expect(events.map((e) => e.status)).toEqual(["granted", "pending", "denied"]);
    const row = await database.db.customer.findUniqueOrThrow({ where: { id: customer.id } });
    expect(row.consent).toEqual({
      email: { status: "denied", at: "2026-11-22T10:00:00.000Z", via: "unsubscribe_link" },
    });
  });

  it("never grants email consent nor lifts an unsubscribe for /start by email, whose From can be forged", async () => {
    const customer = await database.db.customer.create({
      data: {
        email: "victim@example.com",
        consent: { email: { status: "denied", at: "2026-11-01T10:00:00.000Z", via: "unsubscribe_link" } },
        identities: { create: { channel: "email", externalId: "victim@example.com" } },
      },
    });
    await database.db.suppression.create({
      data: {
        channel: "email",
        address: "victim@example.com",
        customerId: customer.id,
        reason: "unsubscribed",
      },
    });
    await responder({
      channel: "email",
      externalId: "<forged-1@attacker.example>",
      sender: { externalId: "victim@example.com", displayName: "Victim", locale: "en" },
      threadRef: "<forged-1@attacker.example>",
      text: "/start",
      sentAt: new Date(clock.now()),
    });
    const after = await database.db.customer.findUniqueOrThrow({ where: { id: customer.id } });
    expect(after.consent).toMatchObject({ email: { status: "denied", via: "unsubscribe_link" } });
    expect(await database.db.suppression.count({ where: { address: "victim@example.com" } })).toBe(1);
    const events = await database.db.consentEvent.findMany({ where: { customerId: customer.id } });
    expect(events.map((e) => [e.status, e.source])).toEqual([["pending", "chat_start"]]);
    const answer = replies.filter((r) => r.customerId === customer.id);
    expect(answer).toHaveLength(1);
    expect(JSON.stringify(answer[0])).toContain("can be forged");
  });
});
