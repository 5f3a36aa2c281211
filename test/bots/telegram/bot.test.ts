import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeTelegram, startFakeTelegram } from "../../fakes/index.ts";
import { startTestApp, type TestApp } from "../../support/app.ts";
import { useTestDatabase } from "../../support/db.ts";
import { useTestRedis } from "../../support/redis.ts";
import { waitFor } from "../../support/wait.ts";

const database = useTestDatabase();
const redis = useTestRedis();
let telegram: FakeTelegram;
let app: TestApp;

beforeAll(async () => {
  telegram = await startFakeTelegram();
  app = await startTestApp({
    databaseUrl: database.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    bots: true,
    env: { TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.apiRoot },
  });
});
afterAll(async () => {
  await app?.close();
  await telegram?.close();
});

const interactionOf = (chatId: number, messageId: number) =>
  database.db.interaction.findUnique({
    where: { channel_externalId: { channel: "telegram", externalId: `${chatId}:${messageId}` } },
    include: { customer: { include: { identities: true } }, conversation: true },
  });

describe("Telegram private messages", () => {
  it("creates the customer, identity, conversation and interaction, with the locale from language_code", async () => {
    const update = telegram.textUpdate({
      chatId: 700100,
      firstName: "Jan",
      lastName: "Kowalski",
      username: "jkowalski",
      languageCode: "pl",
      text: "Dzień dobry, gdzie jest moja paczka?",
      date: 1_795_000_000,
    });
    await telegram.pushUpdate(update);
    const messageId = update.message!.message_id;
    const stored = await waitFor("the interaction", () => interactionOf(700100, messageId));

    expect(stored).toMatchObject({
      direction: "inbound",
      author: "customer",
      text: "Dzień dobry, gdzie jest moja paczka?",
    });
    expect(stored.sentAt.toISOString()).toBe(new Date(1_795_000_000 * 1000).toISOString());
    expect(stored.customer).toMatchObject({
      name: "Jan Kowalski",
      locale: "pl",
      preferredChannel: "telegram",
    });
    expect(stored.customer.identities).toEqual([
      expect.objectContaining({
        channel: "telegram",
        externalId: "700100",
        handle: "jkowalski",
        displayName: "Jan Kowalski",
      }),
    ]);
    expect(stored.conversation).toMatchObject({
      channel: "telegram",
      status: "open",
      threadRef: "700100",
      unreadCount: 1,
    });
  });

  it("stores the same update delivered twice once", async () => {
    const update = telegram.textUpdate({
      chatId: 700200,
      firstName: "Siti",
      languageCode: "id",
      text: "Halo!",
    });
    await telegram.pushUpdate(update);
    await telegram.pushUpdate(update); // the same update_id again, as after a crash before the offset was confirmed
    await telegram.pushUpdate({ message: update.message }); // and the same message under a new update_id
    const next = telegram.textUpdate({
      chatId: 700200,
      firstName: "Siti",
      languageCode: "id",
      text: "Apa kabar?",
    });
    await telegram.pushUpdate(next);
    await waitFor("the later message", () => interactionOf(700200, next.message!.message_id));

    const customer = await database.db.identity.findUniqueOrThrow({
      where: { channel_externalId: { channel: "telegram", externalId: "700200" } },
      include: {
        customer: { include: { interactions: { orderBy: { sentAt: "asc" } }, conversations: true } },
      },
    });
    expect(customer.customer.interactions.map((i) => i.text)).toEqual(["Halo!", "Apa kabar?"]);
    expect(customer.customer.locale).toBe("id");
    expect(customer.customer.conversations).toHaveLength(1);
    expect(customer.customer.conversations[0]!.unreadCount).toBe(2);
  });

  it("captures a photo's caption as the message text", async () => {
    const update = telegram.textUpdate({ chatId: 700300, text: "placeholder" });
    const {
      text: _text,
      entities: _entities,
      ...message
    } = update.message as typeof update.message & { entities?: unknown };
    await telegram.pushUpdate({
      message: {
        ...message,
        caption: "Is this the right size?",
        photo: [
          { file_id: "AgAD-small", file_unique_id: "u1", width: 90, height: 90 },
          { file_id: "AgAD-large", file_unique_id: "u2", width: 800, height: 800 },
        ],
      } as never,
    });
    const stored = await waitFor("the caption", () => interactionOf(700300, update.message!.message_id));
    expect(stored.text).toBe("Is this the right size?");
    expect(stored.attachments).toEqual([{ kind: "photo", fileId: "AgAD-large" }]);
  });

  it("falls back to English for a language Rapport does not speak", async () => {
    const update = telegram.textUpdate({ chatId: 700400, languageCode: "de", text: "Hallo" });
    await telegram.pushUpdate(update);
    const stored = await waitFor("the interaction", () => interactionOf(700400, update.message!.message_id));
    expect(stored.customer.locale).toBe("en");
  });
});
