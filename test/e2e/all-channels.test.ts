import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  envFor,
  type FakeDiscord,
  type FakeTelegram,
  type FakeX,
  startFakeDiscord,
  startFakeTelegram,
  startFakeX,
  X_ROUTES,
} from "../fakes/index.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";

// The whole of `rapport start` with all four chat channels on, each against its fake platform: every
// message is captured by the one core and answered through the channel's own deliver queue.
// On the system clock, as the fake platforms are: an auto-reply rule answers at any hour.
const QUESTION = "When is my delivery coming?";
const ANSWER = /We ship within 1–2 working days/;

const database = useTestDatabase();
const redis = useTestRedis();
let telegram: FakeTelegram;
let discord: FakeDiscord;
let x: FakeX;
let app: TestApp;

beforeAll(async () => {
  [telegram, discord, x] = await Promise.all([startFakeTelegram(), startFakeDiscord(), startFakeX()]);
  app = await startTestApp({
    databaseUrl: database.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    bots: true,
    env: {
      ...envFor({ telegram, discord, x }),
      X_POLL_INTERVAL: "5",
    },
  });
  // the X listener's first poll sets where it starts reading: what came before is not re-read
  await waitFor("the first X poll", () => x.callsTo(X_ROUTES.dmEvents).length > 0);
}, 30_000);
afterAll(async () => {
  await app?.close();
  await Promise.all([telegram?.close(), discord?.close(), x?.close()]);
});

async function webchat(path: string, body: unknown) {
  const response = await fetch(`${app.url}/webchat/api/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.ok).toBe(true);
  return response.json();
}

describe("all four chat channels under one app", () => {
  it("captures a question on each platform into its own customer and answers it on the same platform", async () => {
    await telegram.pushUpdate(telegram.textUpdate({ chatId: 930001, firstName: "Tess", text: QUESTION }));
    const dm = discord.messageCreate({ content: QUESTION, place: "dm" });
    const mention = x.addMention({ username: "xena", text: QUESTION });
    const xDm = x.addDirectMessage({ username: "xavier", text: QUESTION });
    const visitor = await webchat("session", { locale: "en" });
    await webchat("messages", { ...visitor, clientMessageId: "q-1", text: QUESTION });

    await waitFor("the Telegram answer", () => telegram.sent.some((m) => m.chat.id === 930001));
    expect(telegram.sent.find((m) => m.chat.id === 930001)?.text).toMatch(ANSWER);

    const discordAnswer = await waitFor("the Discord answer", () =>
      discord.sentMessages.find((m) => m.channel_id === dm.channel_id),
    );
    expect(discordAnswer.content).toMatch(ANSWER);

    const tweet = await waitFor("the reply tweet", () => x.tweets.find((t) => t.in_reply_to_user_id), 20_000);
    expect(tweet.text).toMatch(ANSWER);
    expect(tweet.referenced_tweets).toEqual([{ type: "replied_to", id: mention.id }]);
    const sentDm = await waitFor(
      "the X DM answer",
      () => x.dms.find((d) => d.text && ANSWER.test(d.text)),
      20_000,
    );
    expect(sentDm.participantId).toBe(xDm.sender_id);

    const history = await waitFor("the web chat answer", async () => {
      const response = await fetch(
        `${app.url}/webchat/api/history?visitorId=${visitor.visitorId}&token=${visitor.token}`,
      );
      const { messages } = (await response.json()) as {
        messages: Array<{ direction: string; text: string }>;
      };
      return messages.some((m) => m.direction === "outbound") ? messages : undefined;
    });
    expect(history.map((m) => m.direction)).toEqual(["inbound", "outbound"]);
    expect(history[1]!.text).toMatch(ANSWER);

    // one customer per person, each conversation holding the question and the answer, every answer a sent Delivery
    const conversations = await database.db.conversation.findMany({
      include: { interactions: { orderBy: { sentAt: "asc" } } },
    });
    expect(conversations.map((c) => c.channel).sort()).toEqual(["discord", "telegram", "webchat", "x", "x"]);
    for (const conversation of conversations) {
      expect(conversation.interactions.map((i) => `${i.direction}:${i.author}`)).toEqual([
        "inbound:customer",
        "outbound:bot",
      ]);
    }
    expect(new Set(conversations.map((c) => c.customerId)).size).toBe(5);
    const deliveries = await database.db.delivery.findMany({ where: { kind: "transactional" } });
    expect(deliveries.map((d) => `${d.channel}:${d.status}`).sort()).toEqual([
      "discord:sent",
      "telegram:sent",
      "webchat:sent",
      "x:sent",
      "x:sent",
    ]);
  }, 40_000);
});
