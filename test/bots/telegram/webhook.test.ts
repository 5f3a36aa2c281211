import type { FastifyInstance } from "fastify";
import type { Bot } from "grammy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureMessage } from "../../../bots/conversation.ts";
import { createTelegramBot } from "../../../bots/telegram/bot.ts";
import {
  registerTelegramWebhook,
  setTelegramWebhook,
  TELEGRAM_SECRET_HEADER,
} from "../../../bots/telegram/webhook.ts";
import { createHttpServer } from "../../../lib/http.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { type FakeTelegram, startFakeTelegram } from "../../fakes/index.ts";
import { useTestDatabase } from "../../support/db.ts";

const SECRET = "rapport-telegram-hook_0123456789";
const database = useTestDatabase();
let telegram: FakeTelegram;
let bot: Bot;
let http: FastifyInstance;
let hookUrl: string;

beforeAll(async () => {
  telegram = await startFakeTelegram();
  bot = createTelegramBot({
    token: telegram.token,
    apiRoot: telegram.apiRoot,
    log: silentLogger,
    onMessage: async (message) => void (await captureMessage(database.db, message)),
  });
  http = createHttpServer({ log: silentLogger });
  registerTelegramWebhook(http, bot, { secretToken: SECRET, log: silentLogger });
  const base = await http.listen({ port: 0, host: "127.0.0.1" });
  hookUrl = `${base}/webhooks/telegram`;
});
afterAll(async () => {
  await http?.close();
  await telegram?.close();
});

const interactionCount = (chatId: number) =>
  database.db.interaction.count({ where: { externalId: { startsWith: `${chatId}:` } } });

describe("the Telegram webhook", () => {
  it("registers itself with the secret token, the handled update kinds and pending updates kept", async () => {
    await setTelegramWebhook(bot, { url: hookUrl, secretToken: SECRET });
    const [call] = await telegram.waitForCalls("setWebhook");
    expect(call?.params).toMatchObject({
      url: hookUrl,
      secret_token: SECRET,
      allowed_updates: ["message", "edited_message", "callback_query"],
      drop_pending_updates: false,
    });
  });

  it("stores an update Telegram delivers with the right secret, before answering 200", async () => {
    telegram.setWebhookTarget(hookUrl, SECRET);
    const update = await telegram.pushUpdate(telegram.textUpdate({ chatId: 704100, text: "via webhook" }));

    expect(telegram.webhookDeliveries.at(-1)).toMatchObject({ update, status: 200 });
    const stored = await database.db.interaction.findUnique({
      where: {
        channel_externalId: { channel: "telegram", externalId: `704100:${update.message!.message_id}` },
      },
    });
    expect(stored?.text).toBe("via webhook");
  });

  it("refuses a wrong or missing secret with 401 and stores nothing", async () => {
    telegram.setWebhookTarget(hookUrl, "someone-elses-secret");
    await telegram.pushUpdate(telegram.textUpdate({ chatId: 704200, text: "forged" }));
    expect(telegram.webhookDeliveries.at(-1)?.status).toBe(401);

    telegram.setWebhookTarget(hookUrl);
    await telegram.pushUpdate(telegram.textUpdate({ chatId: 704200, text: "unsigned" }));
    expect(telegram.webhookDeliveries.at(-1)?.status).toBe(401);

    expect(await interactionCount(704200)).toBe(0);
  });

  it("answers 200 to a body that is not an update and stores nothing", async () => {
    const response = await fetch(hookUrl, {
      method: "POST",
      headers: { "content-type": "application/json", [TELEGRAM_SECRET_HEADER]: SECRET },
      body: JSON.stringify({ message: { chat: { id: 704300 } } }),
    });
    expect(response.status).toBe(200);
    expect(await interactionCount(704300)).toBe(0);
  });
});
