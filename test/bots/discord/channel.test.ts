import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Channel } from "../../../bots/channel.ts";
import { createDiscordChannel } from "../../../bots/discord/index.ts";
import { PermanentSendError, RateLimitedError, TransientSendError } from "../../../lib/errors.ts";
import { type FakeDiscord, startFakeDiscord } from "../../fakes/discord.ts";

const MESSAGES = "POST /channels/:id/messages";
let discord: FakeDiscord;
let channel: Channel;

beforeAll(async () => {
  discord = await startFakeDiscord();
  channel = createDiscordChannel({ token: discord.token, restUrl: discord.restUrl });
});
afterAll(async () => {
  await discord?.close();
});

/** A channel of its own per test, so Discord's 5-per-5-s per-channel bucket never links two tests. */
function customerDm(): { channelId: string; messageId: string; userId: string } {
  const message = discord.messageCreate({ content: "hi" });
  return { channelId: message.channel_id, messageId: message.id, userId: message.author.id };
}

const send = (to: string, text: string, key: string, replyTo?: string) =>
  channel.send({ deliveryId: key, to, text, ...(replyTo ? { replyTo } : {}) }, key);

/** The error `promise` rejects with. */
async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail("the send succeeded"),
    (error: unknown) => error,
  );
}

describe("Discord channel", () => {
  it("sends a reply that Discord threads under the customer's message", async () => {
    const { channelId, messageId } = customerDm();
    const sent = await send(channelId, "Your parcel left the warehouse today.", "delivery-1", messageId);

    const message = discord.sentMessages.at(-1)!;
    expect(sent.providerId).toBe(message.id);
    expect(message).toMatchObject({
      channel_id: channelId,
      content: "Your parcel left the warehouse today.",
      type: 19,
      message_reference: { message_id: messageId, channel_id: channelId },
    });
    const call = discord.calls.findLast((c) => c.route === MESSAGES)!;
    expect(call.authorization).toBe(`Bot ${discord.token}`);
    expect(call.body).toMatchObject({ allowed_mentions: { parse: ["users"] } });
  });

  it("opens the DM channel for 'user:<id>' once, then sends into it", async () => {
    const { channelId, userId } = customerDm();
    await send(`user:${userId}`, "Thank you for your order!", "thanks-1");
    await send(`user:${userId}`, "Here is 15% off your next one.", "winback-1");

    expect(discord.sentMessages.slice(-2).map((m) => m.channel_id)).toEqual([channelId, channelId]);
    const opened = discord.calls.filter((c) => c.route === "POST /users/@me/channels");
    expect(opened).toHaveLength(1);
    expect(opened[0]!.body).toEqual({ recipient_id: userId });
  });

  it("posts a retried delivery once: the idempotency key is the message nonce", async () => {
    const { channelId } = customerDm();
    const first = await send(channelId, "Order shipped", "delivery-retry");
    const again = await send(channelId, "Order shipped", "delivery-retry");

    expect(again.providerId).toBe(first.providerId);
    expect(discord.sentMessages.filter((m) => m.channel_id === channelId)).toHaveLength(1);
  });

  it("surfaces a 429 as RateLimitedError with Discord's retry_after, without retrying", async () => {
    const { channelId } = customerDm();
    discord.failNext(MESSAGES, { status: 429, retryAfter: 2.5 });
    const callsBefore = discord.calls.length;
    const error = await failureOf(send(channelId, "hello", "limited-1"));

    expect(error).toBeInstanceOf(RateLimitedError);
    // Retry-After rounds up to 3 s; the body's 2.5 s is the wait, plus discord.js's 50 ms safety offset
    expect((error as RateLimitedError).retryAfterMs).toBeGreaterThanOrEqual(2_500);
    expect((error as RateLimitedError).retryAfterMs).toBeLessThanOrEqual(3_100);
    expect(discord.calls.length - callsBefore).toBe(1);
  });

  it("surfaces an empty bucket as RateLimitedError before asking Discord again", async () => {
    const { channelId } = customerDm();
    // Discord allows 5 messages per 5 s per channel; the headers say so after each one
    for (let i = 0; i < 5; i++) await send(channelId, `update ${i}`, `bucket-${i}`);
    const callsBefore = discord.calls.length;
    const error = await failureOf(send(channelId, "one too many", "bucket-5"));

    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBeGreaterThan(0);
    expect((error as RateLimitedError).retryAfterMs).toBeLessThanOrEqual(5_100);
    expect(discord.calls.length).toBe(callsBefore);
  });

  it("treats 403 Missing Access and 404 Unknown Channel as permanent", async () => {
    const { channelId } = customerDm();
    discord.failNext(MESSAGES, { status: 403 });
    const forbidden = await failureOf(send(channelId, "hello", "forbidden-1"));
    expect(forbidden).toBeInstanceOf(PermanentSendError);
    expect((forbidden as PermanentSendError).context.providerCode).toBe("50001");

    const unknown = await failureOf(send("1200000000000000000", "hello", "unknown-1"));
    expect(unknown).toBeInstanceOf(PermanentSendError);
    expect((unknown as PermanentSendError).context.providerCode).toBe("10003");
  });

  it("treats a 5xx as transient", async () => {
    const { channelId } = customerDm();
    discord.failNext(MESSAGES, { status: 502 });
    const error = await failureOf(send(channelId, "hello", "bad-gateway-1"));
    expect(error).toBeInstanceOf(TransientSendError);
  });

  it("refuses a text longer than Discord's 2 000 characters without calling Discord", async () => {
    const callsBefore = discord.calls.length;
    const error = await failureOf(send(customerDm().channelId, "x".repeat(2_001), "too-long-1"));
    expect(error).toBeInstanceOf(PermanentSendError);
    expect(discord.calls.length).toBe(callsBefore);
  });
});

describe("Discord channel with a refused token", () => {
  it("reports 401 as permanent with how to fix DISCORD_BOT_TOKEN, and stops calling Discord", async () => {
    const refused = createDiscordChannel({ token: "revoked.token.value", restUrl: discord.restUrl });
    const { channelId } = customerDm();
    const first = await failureOf(refused.send({ deliveryId: "d1", to: channelId, text: "hi" }, "d1"));
    expect(first).toBeInstanceOf(PermanentSendError);
    expect((first as Error).message).toMatch(
      /DISCORD_BOT_TOKEN was refused by Discord \(401\).*Developer Portal/,
    );

    const callsBefore = discord.calls.length;
    const second = await failureOf(refused.send({ deliveryId: "d2", to: channelId, text: "hi" }, "d2"));
    expect(second).toBeInstanceOf(PermanentSendError);
    expect((second as Error).message).toMatch(/DISCORD_BOT_TOKEN/);
    expect(discord.calls.length).toBe(callsBefore);
  });
});
