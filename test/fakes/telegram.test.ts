import { Bot, GrammyError } from "grammy";
import type { Update } from "grammy/types";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type LocalServer, readText, startLocalServer } from "./http.ts";
import { type FakeTelegram, type FakeTelegramOptions, startFakeTelegram } from "./telegram.ts";

let fake: FakeTelegram;
let webhookServer: LocalServer | undefined;

async function start(options: FakeTelegramOptions = {}): Promise<Bot> {
  fake = await startFakeTelegram(options);
  return new Bot(fake.token, { client: { apiRoot: fake.apiRoot } });
}

async function apiError(promise: Promise<unknown>): Promise<GrammyError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof GrammyError)) throw new Error(`expected a GrammyError, got ${String(error)}`);
  return error;
}

async function rawCall(method: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${fake.apiRoot}/bot${fake.token}/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

afterEach(async () => {
  await webhookServer?.close();
  webhookServer = undefined;
  await fake.close();
});

describe("fake Telegram: methods", () => {
  it("answers getMe with a bot user shaped like Telegram's", async () => {
    const bot = await start({ botUsername: "shop_helper_bot" });
    const me = await bot.api.getMe();
    expect(me).toMatchObject({ is_bot: true, username: "shop_helper_bot", can_join_groups: true });
    expect(me.id).toBe(Number(fake.token.split(":")[0]));
  });

  it("refuses a wrong token with 401 Unauthorized", async () => {
    await start();
    const stranger = new Bot("123:wrong", { client: { apiRoot: fake.apiRoot } });
    const error = await apiError(stranger.api.getMe());
    expect([error.error_code, error.description]).toEqual([401, "Unauthorized"]);
  });

  it("answers an unknown method with 404 Not Found", async () => {
    await start();
    expect(await rawCall("sendTelepathy", {})).toEqual({
      status: 404,
      json: { ok: false, error_code: 404, description: "Not Found" },
    });
  });

  it("sends messages with per-chat increasing ids, the bot as sender and the inline keyboard echoed", async () => {
    const bot = await start();
    const keyboard = { inline_keyboard: [[{ text: "Yes", callback_data: "yes" }]] };
    const first = await bot.api.sendMessage(42, "Hello", { reply_markup: keyboard });
    const second = await bot.api.sendMessage(42, "Again");
    const elsewhere = await bot.api.sendMessage(43, "Hi");
    expect(first).toMatchObject({
      chat: { id: 42, type: "private" },
      from: { id: fake.bot.id, is_bot: true },
    });
    expect(first.reply_markup).toEqual(keyboard);
    expect([first.message_id, second.message_id, elsewhere.message_id]).toEqual([1, 2, 1]);
    expect(fake.sent.map((m) => m.text)).toEqual(["Hello", "Again", "Hi"]);
    expect(fake.calls.map((c) => c.method)).toEqual(["sendMessage", "sendMessage", "sendMessage"]);
  });

  it("refuses empty text, unknown chats and users who blocked the bot", async () => {
    const bot = await start();
    fake.markChatUnknown(7);
    fake.markChatBlocked(8);
    const empty = await apiError(bot.api.sendMessage(42, " "));
    const unknown = await apiError(bot.api.sendMessage(7, "hi"));
    const blocked = await apiError(bot.api.sendMessage(8, "hi"));
    expect([empty.error_code, empty.description]).toEqual([400, "Bad Request: message text is empty"]);
    expect([unknown.error_code, unknown.description]).toEqual([400, "Bad Request: chat not found"]);
    expect([blocked.error_code, blocked.description]).toEqual([
      403,
      "Forbidden: bot was blocked by the user",
    ]);
    expect(fake.sent).toHaveLength(0);
  });

  it("accepts parameters as a form body and as a query string", async () => {
    await start();
    const form = await fetch(`${fake.apiRoot}/bot${fake.token}/sendMessage`, {
      method: "POST",
      body: new URLSearchParams({ chat_id: "42", text: "from a form" }),
    });
    const query = await fetch(
      `${fake.apiRoot}/bot${fake.token}/sendMessage?chat_id=42&text=from%20a%20query`,
    );
    expect([form.status, query.status]).toEqual([200, 200]);
    expect(fake.sent.map((m) => [m.chat.id, m.text])).toEqual([
      [42, "from a form"],
      [42, "from a query"],
    ]);
  });

  it("turns HTML into text and entities and refuses broken markup", async () => {
    const bot = await start();
    const sent = await bot.api.sendMessage(42, '<b>Sale</b> &amp; <a href="https://x.test">more</a>', {
      parse_mode: "HTML",
    });
    expect(sent.text).toBe("Sale & more");
    expect(sent.entities).toEqual([
      { type: "bold", offset: 0, length: 4 },
      { type: "text_link", offset: 7, length: 4, url: "https://x.test" },
    ]);
    const broken = await apiError(bot.api.sendMessage(42, "<b>oops", { parse_mode: "HTML" }));
    expect(broken.description).toBe(
      `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "b"`,
    );
  });

  it("edits a sent message and refuses an edit that changes nothing", async () => {
    const bot = await start();
    const sent = await bot.api.sendMessage(42, "Draft");
    const edited = await bot.api.editMessageText(42, sent.message_id, "Final");
    expect(edited).toMatchObject({ message_id: sent.message_id, text: "Final" });
    const unchanged = await apiError(bot.api.editMessageText(42, sent.message_id, "Final"));
    expect(unchanged.description).toMatch(/^Bad Request: message is not modified/);
    const missing = await apiError(bot.api.editMessageText(42, 999, "x"));
    expect(missing.description).toBe("Bad Request: message to edit not found");
  });

  it("stores commands per scope and accepts chat actions and menu buttons", async () => {
    const bot = await start();
    await bot.api.setMyCommands([{ command: "start", description: "Start over" }]);
    await bot.api.setMyCommands([{ command: "hilfe", description: "Hilfe" }], { language_code: "de" });
    expect(await bot.api.getMyCommands()).toEqual([{ command: "start", description: "Start over" }]);
    expect(await bot.api.getMyCommands({ language_code: "de" })).toEqual([
      { command: "hilfe", description: "Hilfe" },
    ]);
    const invalid = await apiError(bot.api.setMyCommands([{ command: "Bad Command", description: "x" }]));
    expect(invalid.description).toBe("Bad Request: BOT_COMMAND_INVALID");
    expect(await bot.api.sendChatAction(42, "typing")).toBe(true);
    await bot.api.setChatMenuButton({ menu_button: { type: "commands" } });
    expect(await bot.api.getChatMenuButton()).toEqual({ type: "commands" });
  });
});

describe("fake Telegram: failures and limits", () => {
  it("fails the next call with Telegram's exact 429 body, then recovers", async () => {
    const bot = await start();
    fake.failNext("sendMessage", { status: 429, retryAfter: 3 });
    expect(await rawCall("sendMessage", { chat_id: 42, text: "hi" })).toEqual({
      status: 429,
      json: {
        ok: false,
        error_code: 429,
        description: "Too Many Requests: retry after 3",
        parameters: { retry_after: 3 },
      },
    });
    await expect(bot.api.sendMessage(42, "hi")).resolves.toMatchObject({ text: "hi" });
  });

  it("fails with 502 Bad Gateway the requested number of times", async () => {
    const bot = await start();
    fake.failNext("sendMessage", { status: 502, times: 2 });
    for (let i = 0; i < 2; i += 1) {
      const error = await apiError(bot.api.sendMessage(42, "hi"));
      expect([error.error_code, error.description]).toEqual([502, "Bad Gateway"]);
    }
    await expect(bot.api.sendMessage(42, "hi")).resolves.toBeDefined();
  });

  it("can deliver a message and still fail the response, so the sender cannot know it arrived", async () => {
    const bot = await start();
    fake.failNext("sendMessage", { status: 500, acceptThenFail: true, dropConnection: true });
    await expect(bot.api.sendMessage(42, "maybe")).rejects.toThrow();
    expect(fake.sent.map((m) => m.text)).toEqual(["maybe"]);
    expect(fake.calls[0]?.status).toBe(-1);
  });

  it("can deliver a message and never answer, until the client gives up", async () => {
    await start();
    fake.failNext("sendMessage", { status: 500, acceptThenFail: true, hang: true });
    await expect(
      fetch(`${fake.apiRoot}/bot${fake.token}/sendMessage`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ chat_id: 42, text: "silence" }),
        signal: AbortSignal.timeout(300),
      }),
    ).rejects.toThrow();
    expect(fake.sent.map((m) => m.text)).toEqual(["silence"]);
    await vi.waitFor(() => expect(fake.calls[0]?.status).toBe(-1));
  });

  it("failSome fails an even share of one method's calls", async () => {
    const bot = await start();
    fake.failSome("sendMessage", 0.5, { status: 502 });
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i += 1)
      outcomes.push(
        await bot.api.sendMessage(42 + i, "hi").then(
          () => "ok",
          (e: GrammyError) => String(e.error_code),
        ),
      );
    expect(outcomes).toEqual(["ok", "502", "ok", "502"]);
    expect((await bot.api.getMe()).is_bot).toBe(true);
    fake.failSome("sendMessage", 0, { status: 502 });
    await expect(bot.api.sendMessage(50, "hi")).resolves.toBeDefined();
  });

  it("with enforceLimits, answers 429 to a second message to one chat within a second", async () => {
    let clock = 1_700_000_000_000;
    const bot = await start({ enforceLimits: true, now: () => clock });
    await bot.api.sendMessage(42, "one");
    const tooSoon = await apiError(bot.api.sendMessage(42, "two"));
    expect([tooSoon.error_code, tooSoon.parameters.retry_after]).toEqual([429, 1]);
    clock += 1_000;
    await expect(bot.api.sendMessage(42, "two")).resolves.toBeDefined();
  });

  it("with enforceLimits, answers 429 to the 31st message within a second across chats", async () => {
    const clock = 1_700_000_000_000;
    const bot = await start({ enforceLimits: true, now: () => clock });
    for (let chat = 1; chat <= 30; chat += 1) await bot.api.sendMessage(chat, "news");
    const error = await apiError(bot.api.sendMessage(31, "news"));
    expect(error.description).toBe("Too Many Requests: retry after 1");
    expect(fake.sent).toHaveLength(30);
  });
});

describe("fake Telegram: updates", () => {
  it("delivers a pushed update to a running bot.start() loop and confirms it on stop", async () => {
    const bot = await start();
    bot.command("start", (ctx) => ctx.reply(`Welcome, ${ctx.from?.first_name}`));
    const polling = bot.start();
    await fake.pushUpdate(fake.textUpdate({ chatId: 42, firstName: "Grace", text: "/start" }));
    const [reply] = await fake.waitForSent(1);
    await bot.stop();
    await polling;
    expect(reply).toMatchObject({ chat: { id: 42 }, text: "Welcome, Grace" });
    expect((await rawCall("getUpdates", { timeout: 0 })).json).toEqual({ ok: true, result: [] });
  });

  it("builds updates that grammY routes to command, contact, edit and button handlers", async () => {
    const bot = await start();
    await bot.init();
    const seen: string[] = [];
    bot.command("start", (ctx) => void seen.push(`command:${ctx.match}`));
    bot.on("message:contact", (ctx) => void seen.push(`contact:${ctx.message.contact.phone_number}`));
    bot.on("edited_message:text", (ctx) => void seen.push(`edited:${ctx.editedMessage.text}`));
    bot.callbackQuery("yes", async (ctx) => {
      seen.push("button:yes");
      await ctx.answerCallbackQuery();
    });
    const greeting = fake.textUpdate({ chatId: 42, text: "/start promo-7" });
    await bot.handleUpdate(greeting);
    await bot.handleUpdate(fake.contactUpdate({ chatId: 42, phoneNumber: "4915112345678" }));
    const messageId = greeting.message?.message_id ?? 0;
    await bot.handleUpdate(fake.editedTextUpdate({ chatId: 42, messageId, text: "/start promo-8" }));
    await bot.api.sendMessage(42, "Sure?", {
      reply_markup: { inline_keyboard: [[{ text: "Yes", callback_data: "yes" }]] },
    });
    await bot.handleUpdate(fake.callbackQueryUpdate({ chatId: 42, data: "yes" }));
    expect(seen).toEqual(["command:promo-7", "contact:4915112345678", "edited:/start promo-8", "button:yes"]);
    expect(greeting.message?.entities).toEqual([{ type: "bot_command", offset: 0, length: 6 }]);
    const unknownQuery = await apiError(bot.api.answerCallbackQuery("nope"));
    expect(unknownQuery.description).toMatch(/query ID is invalid$/);
  });

  it("builds group messages with the sender apart from the chat, and refuses to guess the sender", async () => {
    await start();
    const update = fake.textUpdate({ chatId: -1001234567890, fromId: 42, chatTitle: "Fans", text: "hi all" });
    expect(update.message).toMatchObject({
      chat: { id: -1001234567890, type: "supergroup", title: "Fans" },
      from: { id: 42, is_bot: false },
    });
    expect(() => fake.textUpdate({ chatId: -5, text: "hi" })).toThrow(/needs a fromId/);
  });

  it("returns only updates at or above offset, at most limit, of the allowed kinds", async () => {
    const bot = await start();
    const pushed: Update[] = [];
    for (const text of ["a", "b", "c"])
      pushed.push(await fake.pushUpdate(fake.textUpdate({ chatId: 1, text })));
    const ids = pushed.map((u) => u.update_id);
    expect(ids[1]).toBe((ids[0] ?? 0) + 1);
    const page = await bot.api.getUpdates({ offset: ids[1], limit: 1 });
    expect(page.map((u) => u.message?.text)).toEqual(["b"]);
    expect(await bot.api.getUpdates({ allowed_updates: ["callback_query"] })).toEqual([]);
  });

  it("holds a long poll until an update arrives, and no longer than maxLongPollMs", async () => {
    const bot = await start({ maxLongPollMs: 300 });
    const startedAt = Date.now();
    expect(await bot.api.getUpdates({ timeout: 30 })).toEqual([]);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(250);
    const waiting = bot.api.getUpdates({ timeout: 30 });
    await fake.waitForLongPoll();
    const update = await fake.pushUpdate(fake.textUpdate({ chatId: 1, text: "hi" }));
    expect(await waiting).toEqual([update]);
  });

  it("ends an older long poll with 409 Conflict when a second getUpdates arrives", async () => {
    const bot = await start();
    const first = apiError(bot.api.getUpdates({ timeout: 5 }));
    await fake.waitForLongPoll();
    await bot.api.getUpdates({ timeout: 0 });
    const error = await first;
    expect([error.error_code, error.description]).toEqual([
      409,
      "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    ]);
  });

  it("refuses getUpdates while a webhook is set and POSTs updates to it with the secret token", async () => {
    const received: { secret: string | undefined; update: unknown }[] = [];
    webhookServer = await startLocalServer(async (req, res) => {
      const secret = req.headers["x-telegram-bot-api-secret-token"];
      received.push({
        secret: typeof secret === "string" ? secret : undefined,
        update: JSON.parse(await readText(req)),
      });
      res.end();
    });
    const bot = await start();
    await bot.api.setWebhook(`${webhookServer.url}/telegram`, { secret_token: "s3cret" });
    const conflict = await apiError(bot.api.getUpdates());
    expect(conflict.error_code).toBe(409);
    const update = await fake.pushUpdate(fake.textUpdate({ chatId: 42, text: "hello" }));
    expect(received).toEqual([{ secret: "s3cret", update }]);
    expect(await bot.api.getWebhookInfo()).toMatchObject({
      url: `${webhookServer.url}/telegram`,
      pending_update_count: 0,
    });
    await bot.api.deleteWebhook();
    expect(await bot.api.getUpdates()).toEqual([]);
  });
});
