import { Api } from "grammy";
import { afterEach, describe, expect, it } from "vitest";
import { createTelegramChannel } from "../../../bots/telegram/channel.ts";
import { manualClock } from "../../../lib/clock.ts";
import { PermanentSendError, RateLimitedError } from "../../../lib/errors.ts";
import { type FakeTelegram, startFakeTelegram } from "../../fakes/index.ts";

let telegram: FakeTelegram | undefined;
afterEach(async () => {
  await telegram?.close();
  telegram = undefined;
});

const apiFor = (fake: FakeTelegram) => new Api(fake.token, { apiRoot: fake.apiRoot });
const message = (to: string, text: string) => ({ deliveryId: `d-${text}`, to, text });

describe("the Telegram channel", () => {
  it("reports a 429 as RateLimitedError with Telegram's retry_after in ms", async () => {
    telegram = await startFakeTelegram();
    telegram.failNext("sendMessage", { status: 429, retryAfter: 7 });
    const channel = createTelegramChannel(apiFor(telegram));

    const error = await channel.send(message("703100", "hello"), "k1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({
      retryAfterMs: 7_000,
      context: { channel: "telegram", providerCode: "429" },
    });
  });

  it("spaces quick sends to one chat so a strict Telegram never answers 429", async () => {
    const clock = manualClock();
    telegram = await startFakeTelegram({ enforceLimits: true, now: clock.now });
    const api = apiFor(telegram);
    // the fake is strict: two sends in the same instant draw a 429
    await api.sendMessage(703200, "burst 1");
    await expect(api.sendMessage(703200, "burst 2")).rejects.toMatchObject({ error_code: 429 });

    const channel = createTelegramChannel(api, { clock, wait: async (ms) => clock.advance(ms) });
    const sends = [1, 2, 3, 4, 5].map((n) => channel.send(message("703300", `paced ${n}`), `k${n}`));
    const sent = await Promise.all(sends);

    expect(sent).toHaveLength(5);
    const calls = telegram.calls.filter((c) => c.method === "sendMessage" && c.params.chat_id === "703300");
    expect(calls.map((c) => c.status)).toEqual([200, 200, 200, 200, 200]);
    expect(calls.map((c) => c.params.text)).toEqual(["paced 1", "paced 2", "paced 3", "paced 4", "paced 5"]);
    const gaps = calls.slice(1).map((c, i) => c.at - calls[i]!.at);
    expect(gaps.every((gap) => gap >= 1_000)).toBe(true);
  });

  it("does not make one chat wait for another", async () => {
    const clock = manualClock();
    telegram = await startFakeTelegram({ enforceLimits: true, now: clock.now });
    const start = clock.now();
    const channel = createTelegramChannel(apiFor(telegram), { clock, wait: async (ms) => clock.advance(ms) });
    await Promise.all(["703401", "703402", "703403"].map((to) => channel.send(message(to, "hi"), `k-${to}`)));
    expect(clock.now()).toBe(start);
  });

  it("puts buttons on the message as an inline keyboard, five to a row", async () => {
    telegram = await startFakeTelegram();
    const channel = createTelegramChannel(apiFor(telegram));
    await channel.send(
      {
        ...message("703500", "How did we do?"),
        buttons: ["😞", "🙁", "😐", "🙂", "😍", "🤩"].map((label, i) => ({ label, value: `rate:${i + 1}` })),
      },
      "k-rate",
    );
    expect(telegram.sent.at(-1)?.reply_markup).toEqual({
      inline_keyboard: [
        [
          { text: "😞", callback_data: "rate:1" },
          { text: "🙁", callback_data: "rate:2" },
          { text: "😐", callback_data: "rate:3" },
          { text: "🙂", callback_data: "rate:4" },
          { text: "😍", callback_data: "rate:5" },
        ],
        [{ text: "🤩", callback_data: "rate:6" }],
      ],
    });
  });

  it("names the new chat id when a group became a supergroup", async () => {
    telegram = await startFakeTelegram();
    telegram.failNext("sendMessage", { status: 400, migrateToChatId: -1009876543210 });
    const channel = createTelegramChannel(apiFor(telegram));
    const error = await channel.send(message("-4001", "hello group"), "k-g").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentSendError);
    expect((error as Error).message).toContain("-1009876543210");
  });
});
