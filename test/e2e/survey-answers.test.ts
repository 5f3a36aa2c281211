import { mkdirSync } from "node:fs";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeConversation } from "../../bots/index.ts";
import { ratingAnswer } from "../../bots/survey.ts";
import type { Clock } from "../../lib/clock.ts";
import { queueReply } from "../../workers/index.ts";
import {
  envFor,
  type FakeDiscord,
  type FakeTelegram,
  inlineButtonsOf,
  startFakeDiscord,
  startFakeTelegram,
} from "../fakes/index.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { launchBrowser, openPage } from "../support/browser.ts";
import { useTestDatabase } from "../support/db.ts";
import { freePort } from "../support/process.ts";
import { useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";

// Issue 15, "the customer": the rating survey after a closed conversation is answered by a button (Telegram's
// inline keyboard, the widget's stars) or a bare "5", "4/5", "⭐⭐⭐"; the answer is thanked once, kept in the
// closed conversation, and never opens a new one nor gets the away message.
const ARTIFACTS = "test/artifacts";
const THANKS = "Thank you for your rating!";
let offset = 0;
const clock: Clock = { now: () => Date.now() + offset };
const database = useTestDatabase();
const redis = useTestRedis();
let telegram: FakeTelegram;
let discord: FakeDiscord;
let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  [telegram, discord] = await Promise.all([startFakeTelegram(), startFakeDiscord()]);
  const port = await freePort();
  [app, browser] = await Promise.all([
    startTestApp({
      databaseUrl: database.url,
      redisUrl: redis.url,
      prefix: redis.prefix,
      bots: true,
      clock,
      env: {
        PORT: String(port),
        PUBLIC_URL: `http://localhost:${port}`,
        ...envFor({ telegram, discord }),
      },
    }),
    launchBrowser(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await Promise.all([telegram?.close(), discord?.close()]);
});

const sentTo = (chatId: number) => telegram.sent.filter((m) => m.chat.id === chatId).map((m) => m.text ?? "");
const say = (chatId: number, text: string) =>
  telegram.pushUpdate(telegram.textUpdate({ chatId, firstName: "Rita", languageCode: "en", text }));
const closeWithSurvey = (conversationId: string) =>
  closeConversation(
    { db: app.db, sendReply: (reply) => queueReply({ db: app.db, queues: app.queues, clock }, reply) },
    conversationId,
    { now: new Date(clock.now()), survey: true },
  );
const conversationsOf = (customerId: string) =>
  app.db.conversation.findMany({ where: { customerId }, orderBy: { createdAt: "asc" } });
const answerOf = (conversationId: string) =>
  app.db.surveyAnswer.findFirst({ where: { survey: { conversationId } } });

/** A Telegram chat handed over, closed by staff, and asked for a rating: returns the closed conversation. */
async function telegramSurvey(chatId: number) {
  await say(chatId, "My parcel is lost, can someone help?");
  await waitFor("the away message", () => sentTo(chatId).length === 1);
  const conversation = await app.db.conversation.findFirstOrThrow({ where: { threadRef: String(chatId) } });
  await closeWithSurvey(conversation.id);
  await waitFor("the rating question", () => sentTo(chatId).length === 2);
  return conversation;
}

/** Waits for a "/help" sent after the messages under test to be answered: what came before was handled. */
async function settle(chatId: number) {
  const before = sentTo(chatId).length;
  await say(chatId, "/help");
  await waitFor("the answer to /help", () => sentTo(chatId).length > before);
}

describe("reading a bare answer", () => {
  it("takes a digit, a score out of five, stars and keycaps; nothing else", () => {
    expect(["5", " 4 ", "5/5", "3 / 5", "⭐⭐⭐⭐", "★★★", "🌟", "4️⃣", "2⃣"].map(ratingAnswer)).toEqual([
      5, 4, 5, 3, 4, 3, 1, 4, 2,
    ]);
    for (const other of ["6", "0", "55", "5 stars please", "👍", "⭐⭐⭐⭐⭐⭐", "4/10", "", "/rate 4"])
      expect(ratingAnswer(other), other).toBeUndefined();
  });
});

describe("the rating survey on Telegram", () => {
  it("offers 1–5 buttons; a press is stored, thanked once, and leaves the conversation closed", async () => {
    const conversation = await telegramSurvey(910001);
    const question = telegram.sent.filter((m) => m.chat.id === 910001).at(-1)!;
    expect(inlineButtonsOf(question)).toEqual(["rate:1", "rate:2", "rate:3", "rate:4", "rate:5"]);

    await telegram.pushUpdate(
      telegram.callbackQueryUpdate({ chatId: 910001, data: "rate:4", messageId: question.message_id }),
    );
    await waitFor("the thanks", () => sentTo(910001).length === 3);
    expect(sentTo(910001).at(-1)).toBe(THANKS);
    // a second press changes the score, without a second thanks
    await telegram.pushUpdate(
      telegram.callbackQueryUpdate({ chatId: 910001, data: "rate:5", messageId: question.message_id }),
    );
    await settle(910001);
    expect(sentTo(910001).filter((text) => text === THANKS)).toHaveLength(1);
    expect(await answerOf(conversation.id)).toMatchObject({ score: 5 });
    const conversations = await conversationsOf(conversation.customerId);
    // the /help opened a conversation of its own; the presses did not
    expect(conversations[0]).toMatchObject({ id: conversation.id, status: "closed", rating: 5 });
    const presses = await app.db.interaction.findMany({
      where: { conversationId: conversation.id, text: { startsWith: "/rate" } },
    });
    expect(presses.map((p) => p.text)).toEqual(["/rate 4", "/rate 5"]);
  });

  it("takes a bare '5' as the answer: no new conversation, no away message, one thanks", async () => {
    const conversation = await telegramSurvey(910002);
    await say(910002, "5");
    await waitFor("the thanks", () => sentTo(910002).length === 3);
    expect(sentTo(910002).at(-1)).toBe(THANKS);
    expect(await answerOf(conversation.id)).toMatchObject({ score: 5 });
    expect(await conversationsOf(conversation.customerId)).toMatchObject([
      { id: conversation.id, status: "closed", rating: 5, handedOver: false },
    ]);
    // once answered, a bare digit is an ordinary message again: a new conversation with the away message
    await say(910002, "2");
    await waitFor("the away message", () => sentTo(910002).length === 4);
    expect(sentTo(910002).at(-1)).not.toBe(THANKS);
    expect(await conversationsOf(conversation.customerId)).toHaveLength(2);
    expect(await answerOf(conversation.id)).toMatchObject({ score: 5 });
  });

  it("takes a bare answer only within a day of the question", async () => {
    const conversation = await telegramSurvey(910003);
    offset += 25 * 60 * 60 * 1000;
    try {
      await say(910003, "⭐⭐⭐⭐");
      await waitFor("the away message", () => sentTo(910003).length === 3);
      expect(sentTo(910003).at(-1)).not.toBe(THANKS);
    } finally {
      offset -= 25 * 60 * 60 * 1000;
    }
    expect(await answerOf(conversation.id)).toBeNull();
    expect(await conversationsOf(conversation.customerId)).toHaveLength(2);
  });
});

describe("the rating survey on Discord", () => {
  it("offers 1–5 buttons; a press is acknowledged, stored, thanked once, and leaves the conversation closed", async () => {
    await discord.waitForGateway({ ready: 1 });
    const customer = { id: "920000000000000001", username: "dora" };
    const dm = discord.messageCreate({ author: customer, content: "My order never came", place: "dm" });
    const inChannel = () => discord.sentMessages.filter((m) => m.channel_id === dm.channel_id);
    await waitFor("the away message", () => inChannel().length === 1);
    const conversation = await app.db.conversation.findFirstOrThrow({
      where: { channel: "discord", interactions: { some: { text: "My order never came" } } },
    });
    await closeWithSurvey(conversation.id);
    const question = await waitFor("the rating question", () => inChannel()[1]);
    const buttons = (question.components ?? []).flatMap(
      (row) => (row as { components: Array<{ custom_id: string; label: string }> }).components,
    );
    expect(buttons.map((b) => [b.custom_id, b.label])).toEqual([
      ["rate:1", "★"],
      ["rate:2", "★★"],
      ["rate:3", "★★★"],
      ["rate:4", "★★★★"],
      ["rate:5", "★★★★★"],
    ]);
    const press = discord.buttonPress({
      user: customer,
      customId: "rate:3",
      messageId: question.id,
      place: "dm",
    });
    await waitFor("the thanks", () => inChannel().length === 3);
    expect(inChannel()[2]!.content).toBe(THANKS);
    expect(discord.interactionResponses.filter((r) => r.interactionId === press.id)).toMatchObject([
      { kind: "callback", type: 6 },
    ]);
    expect(await answerOf(conversation.id)).toMatchObject({ score: 3 });
    expect(await conversationsOf(conversation.customerId)).toMatchObject([
      { id: conversation.id, status: "closed", rating: 3 },
    ]);
  });
});

describe("the rating survey in the web chat", () => {
  async function visitor(locale = "en-US") {
    const response = await fetch(`${app.url}/webchat/api/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ locale }),
    });
    return (await response.json()) as { visitorId: string; token: string };
  }
  const post = (v: { visitorId: string; token: string }, clientMessageId: string, text: string) =>
    fetch(`${app.url}/webchat/api/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...v, clientMessageId, text, locale: "en-US" }),
    });
  const repliesTo = async (visitorId: string) =>
    (
      await app.db.delivery.findMany({
        where: { channel: "webchat", recipient: visitorId },
        orderBy: { createdAt: "asc" },
      })
    ).map((d) => (d.data as { text: string }).text);

  it("takes a bare '5' as the answer: no new conversation, no away message, one thanks", async () => {
    const v = await visitor();
    expect((await post(v, "m-1", "Where is my order?")).status).toBe(200);
    await waitFor("the away message", async () => (await repliesTo(v.visitorId)).length === 1);
    const conversation = await app.db.conversation.findFirstOrThrow({ where: { threadRef: v.visitorId } });
    await closeWithSurvey(conversation.id);
    const question = await app.db.delivery.findFirstOrThrow({
      where: { recipient: v.visitorId, key: { contains: "survey" } },
    });
    expect((question.data as { buttons: unknown }).buttons).toHaveLength(5);
    expect((await post(v, "m-2", " 5 ")).status).toBe(200);
    await waitFor("the thanks", async () => (await repliesTo(v.visitorId)).length === 3);
    expect((await repliesTo(v.visitorId)).at(-1)).toBe(THANKS);
    expect(await conversationsOf(conversation.customerId)).toMatchObject([
      { id: conversation.id, status: "closed", rating: 5 },
    ]);
    expect(await answerOf(conversation.id)).toMatchObject({ score: 5 });
  });

  it("draws the question's star buttons at 360 px; a press rates, is thanked once, and the stars go", async () => {
    const { page, errors } = await openPage(browser, 360, 740);
    await page.route("**/favicon.ico", (route) => route.fulfill({ status: 204 }));
    await page.goto(`${app.url}/webchat/demo`);
    await page.getByRole("button", { name: /^Open chat with/ }).click();
    await page.getByRole("textbox", { name: "Write a message…" }).fill("The zip on my bag broke");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await page.locator(".msg.theirs").first().waitFor({ timeout: 15_000 });
    const conversation = await app.db.conversation.findFirstOrThrow({
      where: { channel: "webchat", interactions: { some: { text: "The zip on my bag broke" } } },
    });
    await closeWithSurvey(conversation.id);
    const stars = page.getByRole("group", { name: "Rate this conversation" });
    await stars.waitFor({ timeout: 15_000 });
    expect(
      await stars.getByRole("button").evaluateAll((b) => b.map((e) => e.getAttribute("aria-label"))),
    ).toEqual(["1 star", "2 stars", "3 stars", "4 stars", "5 stars"]);
    const row = await stars.boundingBox();
    expect(row!.x + row!.width).toBeLessThanOrEqual(360);
    await stars.getByRole("button", { name: "4 stars" }).hover();
    await page.screenshot({ path: `${ARTIFACTS}/webchat-rating-360.png` });
    await stars.getByRole("button", { name: "4 stars" }).click();
    await page.locator(".msg.theirs", { hasText: THANKS }).waitFor({ timeout: 15_000 });
    expect(await stars.count()).toBe(0);
    expect(await answerOf(conversation.id)).toMatchObject({ score: 4 });
    expect(await conversationsOf(conversation.customerId)).toMatchObject([
      { id: conversation.id, status: "closed", rating: 4 },
    ]);
    await page.screenshot({ path: `${ARTIFACTS}/webchat-rating-thanked-360.png` });
    expect(await page.locator(".msg.theirs", { hasText: THANKS }).count()).toBe(1);
    expect(errors).toEqual([]);
    // the question's stars fit on the phone
    const box = await page.locator(".msg.theirs").last().boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(360);
  });
});
