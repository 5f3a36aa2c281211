import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createXChannel, createXClient, fitText, weightedLength } from "../../../bots/x/index.ts";
import { manualClock } from "../../../lib/clock.ts";
import { PermanentSendError, RateLimitedError, TransientSendError } from "../../../lib/errors.ts";
import { type FakeX, startFakeX, X_ROUTES } from "../../fakes/x.ts";

let fake: FakeX;
let clock: ReturnType<typeof manualClock>;

beforeEach(async () => {
  clock = manualClock(Date.UTC(2026, 2, 1, 12));
  fake = await startFakeX({ now: clock.now });
});
afterEach(() => fake.close());

const channelFor = (credentials = fake.credentials) =>
  createXChannel(createXClient({ ...credentials, apiRoot: fake.apiRoot }), { clock });

describe("X channel", () => {
  it("posts a reply to the customer's post", async () => {
    const mention = fake.addMention({ username: "ana", text: "where is my parcel?" });

    const sent = await channelFor().send(
      { deliveryId: "d-reply", to: mention.id, replyTo: mention.id, text: "@ana It ships today!" },
      "key-1",
    );

    expect(fake.tweets).toHaveLength(1);
    expect(sent.providerId).toBe(fake.tweets[0]!.id);
    expect(fake.callsTo(X_ROUTES.tweet)[0]!.body).toEqual({
      text: "@ana It ships today!",
      reply: { in_reply_to_tweet_id: mention.id },
    });
    expect(fake.tweets[0]).toMatchObject({ in_reply_to_user_id: mention.author_id });
  });

  it("sends a DM when the address is dm:<user id>", async () => {
    const dm = fake.addDirectMessage({ username: "dee", text: "hi" });

    const sent = await channelFor().send(
      { deliveryId: "d-dm", to: `dm:${dm.sender_id}`, text: "Hello Dee" },
      "k",
    );

    expect(fake.dms).toEqual([expect.objectContaining({ participantId: dm.sender_id, text: "Hello Dee" })]);
    expect(sent.providerId).toBe(`dm:${fake.dms[0]!.dmEventId}`);
  });

  it("cuts a reply longer than 280 characters at a word, with an ellipsis", async () => {
    const mention = fake.addMention({ username: "ana", text: "tell me everything" });
    const long = `${"Our return policy is generous and simple. ".repeat(10)}Thanks!`;

    await channelFor().send({ deliveryId: "d-long", to: mention.id, text: long }, "k");

    const text = fake.tweets[0]!.text;
    expect(weightedLength(text)).toBeLessThanOrEqual(280);
    expect(text.endsWith("simple.…") || text.endsWith("…")).toBe(true);
    expect(long.startsWith(text.slice(0, -1))).toBe(true);
  });

  it("turns a 429 into RateLimitedError lasting until x-rate-limit-reset", async () => {
    const mention = fake.addMention({ username: "ana", text: "hi" });
    fake.failNext(X_ROUTES.tweet, { status: 429, resetInSeconds: 600 });

    const error = await channelFor()
      .send({ deliveryId: "d-429", to: mention.id, text: "hello" }, "k")
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(600_000);
    expect((error as RateLimitedError).context).toMatchObject({ channel: "x", deliveryId: "d-429" });
  });

  it("turns refused credentials (401) into a PermanentSendError naming the X_* variables", async () => {
    const channel = channelFor({ ...fake.credentials, accessSecret: "wrong" });

    const error = await channel
      .send({ deliveryId: "d-401", to: "1", text: "hello" }, "k")
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PermanentSendError);
    expect((error as Error).message).toMatch(/401/);
    expect((error as Error).message).toMatch(/X_ACCESS_SECRET/);
    expect(fake.tweets).toEqual([]);
  });

  it("treats a duplicate post (403) as permanent", async () => {
    const mention = fake.addMention({ username: "ana", text: "hi" });
    await channelFor().send({ deliveryId: "d-a", to: mention.id, text: "Thank you!" }, "a");

    const error = await channelFor()
      .send({ deliveryId: "d-b", to: mention.id, text: "Thank you!" }, "b")
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PermanentSendError);
    expect((error as Error).message).toMatch(/duplicate/);
  });

  it("treats a 5xx and a dropped connection as transient", async () => {
    const mention = fake.addMention({ username: "ana", text: "hi" });
    fake.failNext(X_ROUTES.tweet, { status: 503 });
    fake.failNext(X_ROUTES.dm, { status: 0, dropConnection: true });
    const channel = channelFor();

    const outage = await channel.send({ deliveryId: "d-5", to: mention.id, text: "x" }, "k").catch((e) => e);
    const dropped = await channel.send({ deliveryId: "d-6", to: "dm:1", text: "x" }, "k").catch((e) => e);

    expect(outage).toBeInstanceOf(TransientSendError);
    expect(dropped).toBeInstanceOf(TransientSendError);
  });
});

describe("fitText", () => {
  it("leaves a text that fits alone", () => {
    expect(fitText("short and sweet")).toBe("short and sweet");
  });

  it("counts a link as 23 characters and never cuts inside it", () => {
    const link = `https://example.com/${"a".repeat(200)}`;
    const text = `${"word ".repeat(50)}${link}`;
    expect(weightedLength(text)).toBe(250 + 23);
    expect(fitText(text)).toBe(text);
    expect(fitText(`${"word ".repeat(55)}${link}`)).not.toContain("https://");
  });

  it("counts CJK characters twice, as X does", () => {
    const text = "漢".repeat(150);
    expect(weightedLength(text)).toBe(300);
    expect(weightedLength(fitText(text))).toBeLessThanOrEqual(280);
  });
});
