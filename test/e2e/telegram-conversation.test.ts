import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeConversation, mergeCustomers, resolveCustomerByEmail } from "../../bots/index.ts";
import type { Clock } from "../../lib/clock.ts";
import { queueReply } from "../../workers/index.ts";
import { envFor, type FakeTelegram, inlineButtonsOf, startFakeTelegram } from "../fakes/index.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";

// Monday 23 November 2026, 10:00 in Jakarta: inside the shipped business hours
const OPEN = Date.parse("2026-11-23T03:00:00Z");
let now = OPEN;
const clock: Clock = { now: () => now };

const database = useTestDatabase();
const redis = useTestRedis();
const campaignsDir = mkdtempSync(path.join(tmpdir(), "rapport-campaigns-"));
let telegram: FakeTelegram;
let app: TestApp;

beforeAll(async () => {
  // a marketing message on Telegram, two seconds after a purchase: time enough to send /stop first
  writeFileSync(
    path.join(campaignsDir, "promo.yaml"),
    [
      "id: promo-telegram",
      "name: Purchase follow-up on Telegram",
      "kind: marketing",
      "trigger: { event: { type: purchase, delay: 2s } }",
      "channels: [telegram]",
      "message: { template: thank-you }",
    ].join("\n"),
  );
  telegram = await startFakeTelegram();
  app = await startTestApp({
    databaseUrl: database.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    bots: true,
    clock,
    env: {
      ...envFor({ telegram }),
      RAPPORT_CAMPAIGNS_DIR: campaignsDir,
    },
  });
});
afterAll(async () => {
  await app?.close();
  await telegram?.close();
  rmSync(campaignsDir, { recursive: true, force: true });
});

const sentTo = (chatId: number) => telegram.sent.filter((m) => m.chat.id === chatId).map((m) => m.text ?? "");

async function say(chatId: number, text: string, languageCode = "en") {
  const update = telegram.textUpdate({ chatId, firstName: "Test", languageCode, text });
  await telegram.pushUpdate(update);
  return update;
}

describe("a Telegram conversation", () => {
  it("hands an unanswerable question to staff, telling the customer once, in their language", async () => {
    await say(900001, "Czy mogę zmienić kolor zamówienia?", "pl");
    await waitFor("the handover message", () => sentTo(900001).length === 1);
    expect(sentTo(900001)[0]).toMatch(/Ktoś z naszego zespołu wkrótce odpowie/);
    await say(900001, "Halo?", "pl");
    const second = await say(900001, "Jest tam ktoś?", "pl");
    await waitFor("the later messages to be stored", () =>
      database.db.interaction.findUnique({
        where: {
          channel_externalId: { channel: "telegram", externalId: `900001:${second.message!.message_id}` },
        },
      }),
    );
    const conversation = await database.db.conversation.findFirstOrThrow({ where: { threadRef: "900001" } });
    expect(conversation).toMatchObject({ status: "open", handedOver: true, unreadCount: 3 });
    expect(sentTo(900001)).toHaveLength(1);
  });

  it("answers a question a rule fits, by the rules file", async () => {
    await say(900002, "When is my delivery coming?");
    await waitFor("the auto-reply", () => sentTo(900002).length === 1);
    expect(sentTo(900002)[0]).toMatch(/We ship within 1–2 working days/);
  });

  it("says we are away outside business hours", async () => {
    now = Date.parse("2026-11-22T03:00:00Z"); // Sunday
    try {
      await say(900003, "Is anyone there?", "id");
      await waitFor("the out-of-hours message", () => sentTo(900003).length === 1);
      expect(sentTo(900003)[0]).toContain(
        "di luar jam kerja; tim kami akan membalas begitu kembali. Jam kerja kami: Sen–Jum 9.00–18.00, Sab 10.00–14.00 (Waktu Indonesia Barat).",
      );
    } finally {
      now = OPEN;
    }
  });

  it("tells a Polish customer in Warsaw the hours the Polish way, in Warsaw time", async () => {
    // the shop knows Ola lives in Warsaw: the hours are told on her clock (Jakarta − 6 h in November)
    await database.db.customer.create({
      data: {
        name: "Ola",
        locale: "pl",
        timezone: "Europe/Warsaw",
        identities: { create: { channel: "telegram", externalId: "900016" } },
      },
    });
    now = Date.parse("2026-11-22T03:00:00Z"); // Sunday
    try {
      await say(900016, "Dzień dobry, czy ktoś jest?", "pl");
      await waitFor("the out-of-hours message", () => sentTo(900016).length === 1);
      expect(sentTo(900016)[0]).toBe(
        "Dziękujemy za wiadomość! Jesteśmy teraz poza godzinami pracy; odpowiemy, gdy tylko wrócimy. Godziny pracy: pon.–pt. 3:00–12:00, sob. 4:00–8:00 (czas środkowoeuropejski).",
      );
    } finally {
      now = OPEN;
    }
  });

  it("keeps an email typed on Telegram as a claim: the purchase with it stays another customer until proven", async () => {
    await say(900004, "Hi! My email is maria.lopez@example.com");
    const claim = await waitFor("the claim on the Telegram customer", () =>
      database.db.contactClaim.findFirst({ where: { value: "maria.lopez@example.com" } }),
    );
    const response = await app.postEvent({
      type: "purchase",
      orderId: "TG-1",
      customer: { email: "maria.lopez@example.com" },
      total: "20.00",
      currency: "EUR",
      items: [{ sku: "MUG", quantity: 1, price: "20.00" }],
    });
    expect(response.status).toBe(201);
    const buyer = await database.db.customer.findUniqueOrThrow({
      where: { email: "maria.lopez@example.com" },
      include: { identities: true, events: true },
    });
    // anyone can type an address: only proof (a code sent there, /link, a staff merge) joins the two
    expect(buyer.identities.map((i) => `${i.channel}:${i.externalId}`)).toEqual([
      "email:maria.lopez@example.com",
    ]);
    expect(buyer.events.map((e) => e.externalId)).toEqual(["TG-1"]);
    expect(claim.customerId).not.toBe(buyer.id);
    expect(claim.verifiedAt).toBeNull();
  });

  it("sends nothing marketing-related after /stop, even what was already planned", async () => {
    // the shop knows Piotr's email; a staff member joined his Telegram chat to him (a proven merge)
    const shop = await resolveCustomerByEmail(database.db, { email: "piotr@example.com", locale: "pl" });
    // /start is Telegram's opt-in to the brand's offers there: marketing needs it under the default opt-in policy
    await say(900005, "/start", "pl");
    await waitFor("the welcome message", () => sentTo(900005).length === 1);
    const chat = await database.db.identity.findUniqueOrThrow({
      where: { channel_externalId: { channel: "telegram", externalId: "900005" } },
    });
    await mergeCustomers(database.db, shop.customerId, chat.customerId, {
      reason: "staff",
      actorType: "staff",
    });
    const before = sentTo(900005).length;
    await app.postEvent({
      type: "purchase",
      orderId: "TG-2",
      customer: { email: "piotr@example.com" },
      total: "50.00",
      currency: "PLN",
      items: [{ sku: "KUB", quantity: 1, price: "50.00" }],
    });
    const planned = await waitFor("the promo to be planned", () =>
      database.db.delivery.findFirst({
        where: { campaignId: "promo-telegram", recipient: "900005", status: "queued" },
      }),
    );
    await say(900005, "/stop", "pl");
    await waitFor("the stop confirmation", () => sentTo(900005).length === before + 1);
    expect(sentTo(900005).at(-1)).toMatch(/Nie będziesz już dostawać/);
    const suppressed = await waitFor(
      "the promo to be suppressed at send time",
      () => database.db.delivery.findFirst({ where: { id: planned.id, status: "suppressed" } }),
      10_000,
    );
    expect(suppressed.reason).toBe("stopped");
    expect(sentTo(900005)).toHaveLength(before + 1);
    const customer = await database.db.customer.findUniqueOrThrow({ where: { email: "piotr@example.com" } });
    expect((customer.consent as Record<string, { status: string }>).telegram?.status).toBe("denied");
    expect(
      await database.db.suppression.count({
        where: { channel: "telegram", address: "900005", reason: "stopped" },
      }),
    ).toBe(1);

    // a transactional answer to the customer's own request still goes out
    await say(900005, "/help", "pl");
    await waitFor("the answer", () => sentTo(900005).length === before + 2);
    expect(sentTo(900005).at(-1)).toMatch(/Napisz pytanie/);
    // and /start opts back in
    await say(900005, "/start", "pl");
    await waitFor("the welcome back", () => sentTo(900005).length === before + 3);
    expect(sentTo(900005).at(-1)).toMatch(/Witaj ponownie/);
    expect(await database.db.suppression.count({ where: { channel: "telegram", address: "900005" } })).toBe(
      0,
    );
  });

  it("records the deep-link payload of /start as the first-touch source", async () => {
    await say(900006, "/start ig-autumn");
    await waitFor("the welcome", () => sentTo(900006).length === 1);
    const identity = await database.db.identity.findUniqueOrThrow({
      where: { channel_externalId: { channel: "telegram", externalId: "900006" } },
      include: { customer: true },
    });
    expect(identity.customer.source).toBe("ig-autumn");
  });

  it("joins two chats of one person with a /link code", async () => {
    await say(900007, "/link");
    await waitFor("the code", () => sentTo(900007).length === 1);
    const code = /\/link ([A-Z0-9]{6})/.exec(sentTo(900007)[0]!)?.[1];
    expect(code).toBeDefined();
    await say(900008, `/link ${code}`);
    await waitFor("the confirmation", () => sentTo(900008).length === 1);
    expect(sentTo(900008)[0]).toMatch(/Your accounts are connected/);
    const [a, b] = await Promise.all(
      ["900007", "900008"].map((id) =>
        database.db.identity.findUniqueOrThrow({
          where: { channel_externalId: { channel: "telegram", externalId: id } },
        }),
      ),
    );
    expect(a!.customerId).toBe(b!.customerId);
  });

  it("asks for a rating when a conversation is closed, and stores the answer from the buttons", async () => {
    await say(900009, "I need help with something unusual");
    await waitFor("the handover", () => sentTo(900009).length === 1);
    const conversation = await database.db.conversation.findFirstOrThrow({ where: { threadRef: "900009" } });
    await closeConversation(
      {
        db: database.db,
        sendReply: (reply) => queueReply({ db: database.db, queues: app.queues, clock }, reply),
      },
      conversation.id,
      { now: new Date(now), survey: true },
    );
    await waitFor("the rating question", () => sentTo(900009).length === 2);
    const question = telegram.sent.filter((m) => m.chat.id === 900009).at(-1)!;
    expect(question.text).toMatch(/rate this conversation from 1/);
    expect(inlineButtonsOf(question)).toEqual(["rate:1", "rate:2", "rate:3", "rate:4", "rate:5"]);

    await telegram.pushUpdate(
      telegram.callbackQueryUpdate({ chatId: 900009, data: "rate:4", messageId: question.message_id }),
    );
    await waitFor("the thanks", () => sentTo(900009).length === 3);
    expect(sentTo(900009).at(-1)).toBe("Thank you for your rating!");
    expect(
      await database.db.conversation.findUniqueOrThrow({ where: { id: conversation.id } }),
    ).toMatchObject({
      status: "closed",
      rating: 4,
    });
    const rating = await database.db.event.findFirstOrThrow({
      where: { type: "rating", customerId: conversation.customerId },
    });
    expect(rating.value?.toString()).toBe("4");
    expect(
      await database.db.surveyAnswer.count({ where: { customerId: conversation.customerId, score: 4 } }),
    ).toBe(1);
  });
});
