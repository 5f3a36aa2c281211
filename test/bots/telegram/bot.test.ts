import type { Bot } from "grammy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureMessage } from "../../../bots/conversation.ts";
import type { InboundMessage } from "../../../bots/inbound.ts";
import { InboundRetries, retryInboundFailure } from "../../../bots/inbound-failures.ts";
import { createTelegramBot, startPolling } from "../../../bots/telegram/bot.ts";
import { createTelegramChannel } from "../../../bots/telegram/channel.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { type FakeTelegram, startFakeTelegram } from "../../fakes/index.ts";
import { useTestDatabase } from "../../support/db.ts";
import { refuseRows } from "../../support/refuse-rows.ts";
import { waitFor } from "../../support/wait.ts";

// The adapter only normalises: these tests read the InboundMessage it hands over, and store plain messages
// with the real captureMessage to show they land in a customer profile. Edits are asserted as messages:
// applying them to the stored interaction is the conversation core's job.
const database = useTestDatabase();
const received: InboundMessage[] = [];
let telegram: FakeTelegram;
let bot: Bot;
const retries = new InboundRetries();

beforeAll(async () => {
  telegram = await startFakeTelegram();
  bot = createTelegramBot({
    token: telegram.token,
    apiRoot: telegram.apiRoot,
    log: silentLogger,
    clock: { now: () => Date.UTC(2026, 4, 1, 12) },
    db: database.db,
    retries,
    async onMessage(message) {
      received.push(message);
      if (message.text === "make the handler fail") throw new Error("the core failed");
      if (message.kind !== "edit") await captureMessage(database.db, message);
    },
  });
  await startPolling(bot, silentLogger);
});
afterAll(async () => {
  if (bot?.isRunning()) await bot.stop();
  await telegram?.close();
});

const interactionOf = (chatId: number, messageId: number) =>
  database.db.interaction.findUnique({
    where: { channel_externalId: { channel: "telegram", externalId: `${chatId}:${messageId}` } },
    include: { customer: { include: { identities: true } }, conversation: true },
  });

const receivedAs = (externalId: string, kind: InboundMessage["kind"] = undefined) =>
  waitFor(`the message ${externalId}`, () =>
    received.find((m) => m.externalId === externalId && m.kind === kind),
  );

/**
 * Pushes `update`, then a message that is captured, and waits for that one: updates are handled in order,
 * so once it is in, `update` has been handled — and skipped if it is not in `received`.
 */
async function pushThenSettle(update: Parameters<FakeTelegram["pushUpdate"]>[0]): Promise<void> {
  await telegram.pushUpdate(update);
  const marker = telegram.textUpdate({ chatId: 709999, text: "marker" });
  await telegram.pushUpdate(marker);
  await receivedAs(`709999:${marker.message!.message_id}`);
}

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
    expect(received.find((m) => m.externalId === `700100:${messageId}`)?.sender.locale).toBe("pl");
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

  it("captures a photo's caption as the message text, keeping the largest photo", async () => {
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

  it("hands an edit over as kind edit with the edited message's id, new text and the edit's time", async () => {
    const original = telegram.textUpdate({ chatId: 700500, text: "My order is #1O23" });
    await telegram.pushUpdate(original);
    const messageId = original.message!.message_id;
    await receivedAs(`700500:${messageId}`);

    const edit = telegram.editedTextUpdate({ chatId: 700500, messageId, text: "My order is #1023" });
    await telegram.pushUpdate(edit);
    const edited = await receivedAs(`700500:${messageId}`, "edit");

    expect(edited).toMatchObject({ kind: "edit", text: "My order is #1023", threadRef: "700500" });
    expect(edited.sentAt.getTime()).toBe(edit.edited_message!.edit_date! * 1000);
  });

  it("turns the customer's own shared contact into sharedPhone in E.164", async () => {
    const update = telegram.contactUpdate({ chatId: 700600, phoneNumber: "48601234567" });
    await telegram.pushUpdate(update);
    const shared = await receivedAs(`700600:${update.message!.message_id}`);
    expect(shared).toMatchObject({ sharedPhone: "+48601234567", text: "", sender: { externalId: "700600" } });
  });

  it("turns a contact card of someone else into claimedPhone, an unverified claim, never sharedPhone", async () => {
    const update = telegram.contactUpdate({ chatId: 700700, phoneNumber: "48601000000", contactUserId: 55 });
    await telegram.pushUpdate(update);
    const claimed = await receivedAs(`700700:${update.message!.message_id}`);
    expect(claimed).toMatchObject({
      claimedPhone: "+48601000000",
      text: "",
      sender: { externalId: "700700" },
    });
    expect(claimed.sharedPhone).toBeUndefined();
  });

  it("passes a /start deep link on as its text, for the core to read the payload", async () => {
    const update = telegram.textUpdate({ chatId: 700800, text: "/start ref-summer-sale" });
    await telegram.pushUpdate(update);
    expect((await receivedAs(`700800:${update.message!.message_id}`)).text).toBe("/start ref-summer-sale");
  });

  it("keeps running after the core fails on one message", async () => {
    await telegram.pushUpdate(telegram.textUpdate({ chatId: 700900, text: "make the handler fail" }));
    const next = telegram.textUpdate({ chatId: 700900, text: "still there?" });
    await telegram.pushUpdate(next);
    await waitFor("the next message", () => interactionOf(700900, next.message!.message_id));
  });

  it("keeps an update that cannot be stored in InboundFailure, stores the next, and stores it on retry", async () => {
    const allow = await refuseRows(database.db, "Interaction", "text", "POISON-TG");
    const poison = telegram.textUpdate({ chatId: 700901, text: "this POISON-TG breaks storing" });
    await telegram.pushUpdate(poison);
    const next = telegram.textUpdate({ chatId: 700901, text: "and this one is fine" });
    await telegram.pushUpdate(next);
    await waitFor("the next message", () => interactionOf(700901, next.message!.message_id));

    const kept = await database.db.inboundFailure.findMany({
      where: { channel: "telegram", sourceKey: `update:${poison.update_id}` },
    });
    expect(kept).toHaveLength(1);
    expect(kept[0]!.error).toContain("refused by the test");
    expect(await interactionOf(700901, poison.message!.message_id)).toBeNull();

    await allow();
    expect(await retryInboundFailure(database.db, retries, kept[0]!.id, new Date())).toEqual({
      kind: "resolved",
    });
    expect(await interactionOf(700901, poison.message!.message_id)).toMatchObject({
      text: "this POISON-TG breaks storing",
    });
  });
});

describe("Telegram groups", () => {
  const group = -1001234567890;

  it("captures a message that mentions the bot, without the mention, from the user, threaded in the group", async () => {
    const update = telegram.textUpdate({
      chatId: group,
      fromId: 701100,
      firstName: "Dewi",
      languageCode: "id",
      text: "@rapport_test_bot where is my order? cc @budi_santoso",
    });
    await telegram.pushUpdate(update);
    const messageId = update.message!.message_id;
    const message = await receivedAs(`${group}:${messageId}`);
    expect(message).toMatchObject({
      text: "where is my order? cc @budi_santoso",
      sender: { externalId: "701100", displayName: "Dewi", locale: "id" },
      threadRef: String(group),
      replyTo: String(messageId),
    });
    const stored = await waitFor("the interaction", () => interactionOf(group, messageId));
    expect(stored.customer.identities.map((i) => i.externalId)).toEqual(["701100"]);
  });

  it("ignores group talk that is not addressed to the bot", async () => {
    const update = telegram.textUpdate({
      chatId: group,
      fromId: 701200,
      text: "anyone tried the new @cafe_bot?",
    });
    await pushThenSettle(update);
    expect(received.some((m) => m.externalId === `${group}:${update.message!.message_id}`)).toBe(false);
  });

  it("captures a reply to one of the bot's messages", async () => {
    const botMessage = await bot.api.sendMessage(group, "Our shop opens at 9.");
    const update = telegram.textUpdate({
      chatId: group,
      fromId: 701300,
      text: "and on Sundays?",
      replyToMessageId: botMessage.message_id,
    });
    await telegram.pushUpdate(update);
    const message = await receivedAs(`${group}:${update.message!.message_id}`);
    expect(message).toMatchObject({ text: "and on Sundays?", sender: { externalId: "701300" } });
  });

  it("reads /command@botname as /command", async () => {
    const update = telegram.textUpdate({ chatId: group, fromId: 701400, text: "/help@rapport_test_bot" });
    await telegram.pushUpdate(update);
    expect((await receivedAs(`${group}:${update.message!.message_id}`)).text).toBe("/help");
  });
});

describe("Telegram rating buttons", () => {
  it("turns a press on rate:4 into /rate 4 and answers the press", async () => {
    const channel = createTelegramChannel(bot.api);
    await channel.send(
      {
        deliveryId: "d-rate",
        to: "702100",
        text: "How did we do?",
        buttons: [1, 2, 3, 4, 5].map((n) => ({ label: "★".repeat(n), value: `rate:${n}` })),
      },
      "k-rate",
    );
    const press = telegram.callbackQueryUpdate({ chatId: 702100, data: "rate:4", languageCode: "pl" });
    const answersBefore = telegram.calls.filter((c) => c.method === "answerCallbackQuery").length;
    await telegram.pushUpdate(press);

    const message = await receivedAs(`cb:${press.callback_query!.id}`);
    expect(message).toMatchObject({
      text: "/rate 4",
      threadRef: "702100",
      sender: { externalId: "702100", locale: "pl" },
      sentAt: new Date(Date.UTC(2026, 4, 1, 12)),
    });
    const answers = await telegram.waitForCalls("answerCallbackQuery", answersBefore + 1);
    expect(answers.at(-1)).toMatchObject({
      status: 200,
      params: { callback_query_id: press.callback_query!.id },
    });
  });

  it("answers a press with unknown data and captures nothing", async () => {
    await bot.api.sendMessage(702200, "Old keyboard");
    const press = telegram.callbackQueryUpdate({ chatId: 702200, data: "rate:9" });
    await pushThenSettle(press);
    expect(received.some((m) => m.externalId === `cb:${press.callback_query!.id}`)).toBe(false);
    const answered = telegram.calls.find(
      (c) => c.method === "answerCallbackQuery" && c.params.callback_query_id === press.callback_query!.id,
    );
    expect(answered?.status).toBe(200);
  });
});
