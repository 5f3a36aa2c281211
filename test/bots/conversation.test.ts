import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type BotReply,
  captureMessage,
  createResponder,
  type InboundMessage,
  issueLinkCode,
  loadReplies,
  resolveCustomerByEmail,
  survivorOf,
} from "../../bots/index.ts";
import { PROJECT_DIR } from "../../cli/app.ts";
import { manualClock } from "../../lib/clock.ts";
import { silentLogger } from "../../lib/logger.ts";
import { useTestDatabase } from "../support/db.ts";

// The conversation core on a real database with the shipped rules. What the core hands to `sendReply` is
// recorded: the queue behind it is the workers' (tested in test/e2e), not the subject here.
const database = useTestDatabase();
const clock = manualClock(Date.parse("2026-11-23T03:00:00Z")); // Monday 10:00 in Jakarta: open
const replies: BotReply[] = [];
let responder: ReturnType<typeof createResponder>;
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

let chat = 610_000;
const at = (minute: number) => new Date(Date.UTC(2026, 10, 23, 2, minute));
function message(chatId: number, messageId: number, text: string, sentAt: Date): InboundMessage {
  return {
    channel: "telegram",
    externalId: `${chatId}:${messageId}`,
    sender: { externalId: String(chatId), displayName: "Ola", locale: "pl" },
    threadRef: String(chatId),
    text,
    sentAt,
  };
}

const interactionsOf = (customerId: string) =>
  database.db.interaction.findMany({
    where: { customerId, direction: "inbound" },
    orderBy: { sentAt: "asc" },
  });

describe("the conversation core", () => {
  it("keeps the platform's order when messages arrive out of order, and never moves time back", async () => {
    const id = ++chat;
    // the platform sent 1, 2, 3; they arrive 3, 1, 2 (webhook retries, two pollers)
    const third = await captureMessage(database.db, message(id, 3, "third", at(3)));
    await captureMessage(database.db, message(id, 1, "first", at(1)));
    await captureMessage(database.db, message(id, 2, "second", at(2)));

    expect((await interactionsOf(third.customerId)).map((i) => i.text)).toEqual(["first", "second", "third"]);
    const conversations = await database.db.conversation.findMany({
      where: { customerId: third.customerId },
    });
    expect(conversations).toHaveLength(1);
    expect(conversations[0]).toMatchObject({ lastMessageAt: at(3), unreadCount: 3 });
    const customer = await database.db.customer.findUniqueOrThrow({ where: { id: third.customerId } });
    expect(customer.lastInteractionAt).toEqual(at(3));
  });

  it("stores a message delivered twice at the same moment once", async () => {
    const id = ++chat;
    const results = await Promise.all([
      captureMessage(database.db, message(id, 1, "twice", at(5))),
      captureMessage(database.db, message(id, 1, "twice", at(5))),
    ]);
    expect(results.map((r) => r.kind).sort()).toEqual(["duplicate", "stored"]);
    expect(await interactionsOf(results[0]!.customerId)).toHaveLength(1);
  });

  it("applies an edit to the stored message and answers nothing more", async () => {
    const id = ++chat;
    expect(await responder.handle(message(id, 1, "Gdzie jest moja przesyłka #1O23?", at(10)))).toMatchObject({
      kind: "auto-reply",
    });
    const answered = replies.length;

    const edit = { ...message(id, 1, "Gdzie jest moja przesyłka #1023?", at(12)), kind: "edit" as const };
    expect(await responder.handle(edit)).toEqual({ kind: "edited" });

    const identity = await database.db.identity.findUniqueOrThrow({
      where: { channel_externalId: { channel: "telegram", externalId: String(id) } },
    });
    const stored = await interactionsOf(identity.customerId);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      text: "Gdzie jest moja przesyłka #1023?",
      sentAt: at(10),
      editedAt: at(12),
    });
    expect(replies).toHaveLength(answered);
    const conversation = await database.db.conversation.findFirstOrThrow({
      where: { customerId: identity.customerId },
    });
    expect(conversation.unreadCount).toBe(1);
  });

  it("stores the edit of a message it never saw as the message, once", async () => {
    const id = ++chat;
    const edit = { ...message(id, 7, "edited before we saw it", at(20)), kind: "edit" as const };
    await responder.handle(edit);
    await responder.handle(edit);
    const identity = await database.db.identity.findUniqueOrThrow({
      where: { channel_externalId: { channel: "telegram", externalId: String(id) } },
    });
    expect((await interactionsOf(identity.customerId)).map((i) => i.text)).toEqual([
      "edited before we saw it",
    ]);
  });
});

describe("text PostgreSQL cannot store", () => {
  it("drops U+0000 and lone surrogates from a message, its payload and its sender, on any channel", async () => {
    const id = ++chat;
    const nul = {
      ...message(id, 1, "hal\u0000lo \ud800😀", at(1)),
      sender: { externalId: String(id), displayName: "O\u0000la\udc00", handle: "ola\u0000" },
      attachments: [{ "na\u0000me": "photo\u0000.jpg" }],
      raw: { update_id: 1, message: { text: "hal\u0000lo", "ke\ud800y": ["\u0000"] } },
    };
    const stored = await captureMessage(database.db, nul);
    expect(stored.kind).toBe("stored");
    const [row] = await interactionsOf(stored.customerId);
    expect(row).toMatchObject({ text: "hallo 😀", attachments: [{ name: "photo.jpg" }] });
    expect(row?.raw).toEqual({ update_id: 1, message: { text: "hallo", key: [""] } });
    const identity = await database.db.identity.findUniqueOrThrow({
      where: { channel_externalId: { channel: "telegram", externalId: String(id) } },
      include: { customer: true },
    });
    expect(identity).toMatchObject({ displayName: "Ola", handle: "ola" });
    expect(identity.customer.name).toBe("Ola");

    await responder({ ...nul, kind: "edit", text: "po\u0000prawione" });
    const [edited] = await interactionsOf(stored.customerId);
    expect(edited?.text).toBe("poprawione");
    // the same message again is recognised as the one stored, though its id was cleaned
    expect((await captureMessage(database.db, nul)).kind).toBe("duplicate");
  });

  it("keeps a message whose ids are too long for an index under their hash, once", async () => {
    const id = ++chat;
    const long = { ...message(id, 1, "hello", at(1)), externalId: `${id}:${"x".repeat(1_000_000)}` };
    long.sender = { ...long.sender, externalId: `${id}${"9".repeat(10_000)}` };
    const stored = await captureMessage(database.db, long);
    expect(stored.kind).toBe("stored");
    expect((await captureMessage(database.db, long)).kind).toBe("duplicate");
    const [row] = await interactionsOf(stored.customerId);
    expect(row?.externalId).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe("contacts given in a chat", () => {
  const shopCustomer = async (email: string, phone?: string) =>
    (await resolveCustomerByEmail(database.db, { email, ...(phone ? { phone } : {}) })).customerId;
  const claimsOf = (customerId: string) =>
    database.db.contactClaim.findMany({ where: { customerId }, orderBy: { createdAt: "asc" } });

  it.each(["telegram", "webchat"] as const)(
    "keeps an email typed on %s as the writer's unverified claim and merges no one",
    async (channel) => {
      const owner = await shopCustomer(`typed-${channel}@example.com`);
      const id = ++chat;
      await responder.handle({
        ...message(id, 1, `hi, I am typed-${channel}@Example.com, where is my order?`, at(1)),
        channel,
      });
      const writer = await database.db.identity.findUniqueOrThrow({
        where: { channel_externalId: { channel, externalId: String(id) } },
        include: { customer: { include: { identities: true } } },
      });
      expect(writer.customerId).not.toBe(owner);
      expect(writer.customer.email).toBeNull();
      expect(writer.customer.identities.map((i) => i.channel)).toEqual([channel]);
      expect(await claimsOf(writer.customerId)).toMatchObject([
        { kind: "email", value: `typed-${channel}@example.com`, source: "chat_message", verifiedAt: null },
      ]);
      expect(await database.db.customer.findUniqueOrThrow({ where: { id: owner } })).toMatchObject({
        mergedIntoId: null,
        email: `typed-${channel}@example.com`,
      });
      expect(await database.db.auditLog.count({ where: { action: "customer.merge", targetId: owner } })).toBe(
        0,
      );
    },
  );

  it("keeps a Telegram contact card of someone else as a phone claim, never merging with its holder", async () => {
    const holder = await shopCustomer("holder@example.com", "+48601000001");
    const id = ++chat;
    await responder.handle({ ...message(id, 1, "", at(1)), claimedPhone: "+48601000001" });
    const writer = (await captureMessage(database.db, message(id, 2, "hello?", at(2)))).customerId;
    expect(writer).not.toBe(holder);
    expect(await claimsOf(writer)).toMatchObject([
      { kind: "phone", value: "+48601000001", source: "telegram_contact", verifiedAt: null },
    ]);
    expect(await database.db.customer.findUniqueOrThrow({ where: { id: writer } })).toMatchObject({
      phone: null,
    });
  });

  it("joins the sender's own Telegram contact card (proven by Telegram) to the customer with that phone", async () => {
    const holder = await shopCustomer("own@example.com", "+48601000002");
    const id = ++chat;
    await responder.handle({ ...message(id, 1, "", at(1)), sharedPhone: "+48601000002" });
    const identity = await database.db.identity.findUniqueOrThrow({
      where: { channel_externalId: { channel: "telegram", externalId: String(id) } },
    });
    expect(identity.customerId).toBe(holder);
  });

  it("refuses a /link code sent by email: a From address proves nothing, so nobody joins a chat to it", async () => {
    const owner = await shopCustomer("forged@example.com");
    const id = ++chat;
    const attacker = (await captureMessage(database.db, message(id, 1, "hi", at(1)))).customerId;
    const code = await issueLinkCode(database.db, attacker, "telegram", new Date(clock.now()));
    await responder.handle({
      channel: "email",
      externalId: `<forged-${id}@mail.example>`,
      sender: { externalId: "forged@example.com" },
      threadRef: "forged@example.com",
      text: `/link ${code}`,
      sentAt: at(2),
    });
    expect(await survivorOf(database.db, attacker)).toBe(attacker);
    expect(await survivorOf(database.db, owner)).toBe(owner);
    expect(await database.db.linkCode.findUniqueOrThrow({ where: { code } })).toMatchObject({ usedAt: null });
    expect(replies.at(-1)).toMatchObject({ channel: "email", to: "forged@example.com" });
    expect(replies.at(-1)!.text).toContain("can't be entered by email");
  });
});
