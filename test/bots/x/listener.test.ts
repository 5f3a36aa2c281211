import { afterEach, describe, expect, it } from "vitest";
import { createXChannel } from "../../../bots/x/index.ts";
import { X_ROUTES, type XTweet } from "../../fakes/x.ts";
import { useTestDatabase } from "../../support/db.ts";
import { refuseRows } from "../../support/refuse-rows.ts";
import { startXHarness, type XHarness } from "./support.ts";

const database = useTestDatabase();
let harness: XHarness | undefined;

afterEach(async () => {
  await harness?.listener.stop();
  await harness?.fake.close();
  harness = undefined;
});

async function start(options: { keywords?: string[] } = {}): Promise<XHarness> {
  harness = await startXHarness(database.db, options);
  return harness;
}

const interaction = (externalId: string) =>
  database.db.interaction.findUnique({
    where: { channel_externalId: { channel: "x", externalId } },
    include: { customer: { include: { identities: true } }, conversation: true },
  });

const cursor = (stream: string, brandId: string) =>
  database.db.channelCursor.findUnique({ where: { key: `x:${stream}:${brandId}` } });

describe("X listener: mentions", () => {
  it("starts from now on its very first run: mentions from before are not captured", async () => {
    const { fake, listener, received } = await start();
    const old = fake.addMention({ username: "early_bird", text: "anyone there?" });

    await listener.pollOnce();

    expect(received).toEqual([]);
    expect(await interaction(old.id)).toBeNull();
    expect((await cursor("mentions", fake.brand.id))?.value).toBe(old.id);
    // learning where "now" is costs the smallest page X allows
    expect(fake.callsTo(X_ROUTES.mentions)[0]!.query.max_results).toBe("5");
  });

  it("captures a new mention once, with the author's X identity and the post to reply to", async () => {
    const { fake, clock, listener, received } = await start();
    await listener.pollOnce();
    const mention = fake.addMention({
      username: "siti_n",
      name: "Siti Nurhaliza",
      text: "pesanan saya belum sampai",
      lang: "in",
      createdAt: new Date(clock.now() - 30_000),
    });

    await listener.pollOnce();
    await listener.pollOnce();

    const stored = await interaction(mention.id);
    expect(stored).toMatchObject({ direction: "inbound", author: "customer", text: mention.text });
    expect(stored!.sentAt.toISOString()).toBe(mention.created_at);
    expect(stored!.customer.locale).toBe("id"); // X tags Indonesian with the retired code "in"
    expect(stored!.customer.identities).toEqual([
      expect.objectContaining({
        channel: "x",
        externalId: mention.author_id,
        handle: "siti_n",
        displayName: "Siti Nurhaliza",
        avatarUrl: expect.stringContaining(mention.author_id),
      }),
    ]);
    expect(stored!.conversation).toMatchObject({ channel: "x", threadRef: mention.id, unreadCount: 1 });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ replyTo: mention.id, threadRef: mention.id });
    expect(received[0]!.conversational).not.toBe(false);
    // the second poll asked only for what came after the mention
    expect(fake.callsTo(X_ROUTES.mentions).at(-1)!.query.since_id).toBe(mention.id);
  });

  it("ignores the brand's own posts that mention it", async () => {
    const { fake, client, listener, received } = await start();
    await listener.pollOnce();
    await client.v2.post("tweets", { text: `@${fake.brand.username} note to self: restock sizes` });
    const customer = fake.addMention({ username: "jan_k", text: "czy macie rozmiar 44?", lang: "pl" });

    await listener.pollOnce();

    expect(received.map((m) => m.externalId)).toEqual([customer.id]);
  });

  it("resumes after a restart from the stored since_id, reading every page and nothing twice", async () => {
    const { fake, listener, received, restart } = await start();
    await listener.pollOnce();
    const first = fake.addMention({ username: "ana", text: "first question" });
    await listener.pollOnce();
    await listener.stop();
    // more new mentions than one page (100) holds arrive while the process is down
    const later = Array.from({ length: 120 }, (_, i) =>
      fake.addMention({ username: `fan_${i % 4}`, text: `question ${i}` }),
    );

    const callsBefore = fake.callsTo(X_ROUTES.mentions).length;
    await restart().pollOnce();

    const calls = fake.callsTo(X_ROUTES.mentions).slice(callsBefore);
    expect(calls.map((c) => c.query.since_id)).toEqual([first.id, first.id]);
    expect(calls[0]!.query.pagination_token).toBeUndefined();
    expect(calls[1]!.query.pagination_token).toEqual(expect.any(String));
    expect(received.map((m) => m.externalId)).toEqual([first.id, ...later.map((t) => t.id)]);
    const stored = await database.db.interaction.count({
      where: { externalId: { in: [first.id, ...later.map((t) => t.id)] } },
    });
    expect(stored).toBe(121);
    expect((await cursor("mentions", fake.brand.id))?.value).toBe(later.at(-1)!.id);
  });
});

describe("X listener: rate limits and errors", () => {
  it("waits until x-rate-limit-reset after a 429 before calling that route again", async () => {
    const { fake, clock, listener, received } = await start();
    await listener.pollOnce();
    fake.failNext(X_ROUTES.mentions, { status: 429, resetInSeconds: 120 });
    const mention = fake.addMention({ username: "impatient", text: "hello??" });

    await listener.pollOnce(); // answered 429
    clock.advance(60_000);
    await listener.pollOnce();
    clock.advance(59_000);
    await listener.pollOnce();
    expect(fake.callsTo(X_ROUTES.mentions).map((c) => c.status)).toEqual([200, 429]);
    // other routes have their own windows and go on
    expect(fake.callsTo(X_ROUTES.dmEvents).length).toBe(4);

    clock.advance(1_000);
    await listener.pollOnce();

    expect(fake.callsTo(X_ROUTES.mentions).map((c) => c.status)).toEqual([200, 429, 200]);
    expect(received.map((m) => m.externalId)).toEqual([mention.id]);
  });

  it("does not call a route whose window is spent until the window resets", async () => {
    const { fake, clock, listener } = await start();
    const resetAt = Math.floor(clock.now() / 1000) + 300;
    fake.setRateLimit(X_ROUTES.mentions, { limit: 300, remaining: 1, reset: resetAt });

    await listener.pollOnce(); // uses the last call of the window: x-rate-limit-remaining 0
    await listener.pollOnce();
    clock.set(resetAt * 1000 - 1);
    await listener.pollOnce();
    expect(fake.callsTo(X_ROUTES.mentions)).toHaveLength(1);

    clock.set(resetAt * 1000);
    await listener.pollOnce();
    expect(fake.callsTo(X_ROUTES.mentions).map((c) => c.status)).toEqual([200, 200]);
  });

  it("backs off after a 5xx and then captures what it missed", async () => {
    const { fake, clock, listener, received } = await start();
    await listener.pollOnce();
    fake.failNext(X_ROUTES.mentions, { status: 503 });
    const mention = fake.addMention({ username: "patient", text: "any news?" });

    await listener.pollOnce();
    await listener.pollOnce(); // still inside the backoff: X is not asked again
    expect(fake.callsTo(X_ROUTES.mentions).map((c) => c.status)).toEqual([200, 503]);

    clock.advance(5_000);
    await listener.pollOnce();
    expect(received.map((m) => m.externalId)).toEqual([mention.id]);
  });

  it("keeps polling after a dropped connection", async () => {
    const { fake, clock, listener, received } = await start();
    await listener.pollOnce();
    fake.failNext(X_ROUTES.mentions, { status: 0, dropConnection: true });
    const mention = fake.addMention({ username: "offline", text: "still there?" });

    await listener.pollOnce();
    clock.advance(5_000);
    await listener.pollOnce();

    expect(received.map((m) => m.externalId)).toEqual([mention.id]);
  });
});

describe("X listener: direct messages", () => {
  it("captures a DM with threadRef dm:<sender id>, once, and skips the brand's own DMs", async () => {
    const { fake, client, listener, received } = await start();
    await listener.pollOnce();
    const dm = fake.addDirectMessage({
      username: "dm_customer",
      name: "Dee Em",
      text: "Can I change my order?",
    });
    await createXChannel(client).send(
      {
        deliveryId: "d-1",
        to: `dm:${dm.sender_id}`,
        text: "Sure, which one?",
      },
      "reply-1",
    );

    await listener.pollOnce();
    await listener.pollOnce();

    expect(received.map((m) => m.externalId)).toEqual([`dm:${dm.id}`]);
    const stored = await interaction(`dm:${dm.id}`);
    expect(stored).toMatchObject({ text: "Can I change my order?" });
    expect(stored!.conversation).toMatchObject({ threadRef: `dm:${dm.sender_id}` });
    expect(stored!.customer.identities[0]).toMatchObject({ externalId: dm.sender_id, handle: "dm_customer" });
    const dmCalls = fake.callsTo(X_ROUTES.dmEvents);
    expect(dmCalls.at(-1)!.query).toMatchObject({ event_types: "MessageCreate", expansions: "sender_id" });
  });

  it("pages through DMs until it reaches the last one it handed on", async () => {
    const { fake, listener, received } = await start();
    fake.addDirectMessage({ username: "history", text: "old message" });
    await listener.pollOnce();
    const burst = Array.from({ length: 25 }, (_, i) =>
      fake.addDirectMessage({ username: `dm_${i % 3}`, text: `dm ${i}` }),
    );

    await listener.pollOnce();

    expect(received.map((m) => m.externalId)).toEqual(burst.map((e) => `dm:${e.id}`));
  });
});

describe("X listener: keyword search", () => {
  it("captures a keyword hit not addressed to the brand as social listening, without a conversation", async () => {
    const { fake, listener, received } = await start({ keywords: ["rapport shoes", "rapportshop"] });
    const old = fake.addSearchResult({ username: "old_post", text: "rapportshop, last year" });
    await listener.pollOnce();
    const hit = fake.addSearchResult({ username: "bystander", text: "my new Rapport shoes are great" });
    fake.addSearchResult({ username: "bystander", text: "unrelated post about lunch" });

    await listener.pollOnce();

    expect(received).toEqual([expect.objectContaining({ externalId: hit.id, conversational: false })]);
    const stored = await interaction(hit.id);
    expect(stored).toMatchObject({ conversationId: null, text: hit.text });
    const search = fake.callsTo(X_ROUTES.search).at(-1)!;
    expect(search.query.query).toBe('("rapport shoes" OR rapportshop) -from:rapport_brand -is:retweet');
    expect(search.query.since_id).toBe(old.id);
  });

  it("treats a keyword hit that mentions the brand as a conversation, captured once across both streams", async () => {
    const { fake, listener, received } = await start({ keywords: ["rapportshop"] });
    await listener.pollOnce();
    const both = fake.addMention({ username: "loud_fan", text: "love #rapportshop" });

    await listener.pollOnce();

    expect(received.filter((m) => m.externalId === both.id)).toHaveLength(2);
    expect(received.every((m) => m.conversational !== false)).toBe(true);
    const stored = await interaction(both.id);
    expect(stored!.conversationId).not.toBeNull();
  });
});

describe("X listener: start and stop", () => {
  it("polls on its own once started and stops cleanly", async () => {
    const { fake, listener } = await start();
    listener.start();
    await expect.poll(() => fake.callsTo(X_ROUTES.dmEvents).length).toBeGreaterThan(0);
    await listener.stop();
    const calls = fake.calls.length;
    await listener.stop();
    expect(fake.calls.length).toBe(calls);
  });
});

const failuresOf = (sourceKey: string) =>
  database.db.inboundFailure.findMany({ where: { channel: "x", sourceKey } });

describe("X listener: items that cannot be read or stored", () => {
  it("asks for the author with every post, so a mention is stored with its author's profile", async () => {
    const { fake, listener } = await start({ keywords: ["rapportshop"] });
    await listener.pollOnce();
    const mention = fake.addMention({ username: "expanded", name: "Ex Panded", text: "hi #rapportshop" });

    await listener.pollOnce();

    for (const route of [X_ROUTES.mentions, X_ROUTES.search]) {
      const query = fake.callsTo(route).at(-1)!.query;
      expect(query.expansions).toBe("author_id");
      expect(query["tweet.fields"]!.split(",")).toContain("author_id");
    }
    expect((await interaction(mention.id))!.customer.identities[0]).toMatchObject({ handle: "expanded" });
  });

  it("keeps a post that comes without an author in InboundFailure, moves the cursor on and stores the next", async () => {
    const { fake, listener } = await start();
    await listener.pollOnce();
    const anonymous = fake.addMention({ username: "vanished", text: "who wrote this?" });
    // X sends some posts without author_id (a suspended or withheld author): nothing says who wrote it
    delete (anonymous as Partial<XTweet>).author_id;
    const next = fake.addMention({ username: "present", text: "I did not vanish" });

    await listener.pollOnce();
    await listener.pollOnce();

    expect(await interaction(anonymous.id)).toBeNull();
    const kept = await failuresOf(anonymous.id);
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ count: 1, resolvedAt: null });
    expect(kept[0]!.error).toContain("author_id");
    expect(JSON.parse(kept[0]!.payload)).toMatchObject({ stream: "mentions", item: { id: anonymous.id } });
    expect(await interaction(next.id)).not.toBeNull();
    expect((await cursor("mentions", fake.brand.id))?.value).toBe(next.id);
  });

  it("stores a DM containing NUL and the newer DMs after it (the issue's poison DM)", async () => {
    const { fake, listener } = await start();
    await listener.pollOnce();
    const nul = fake.addDirectMessage({ username: "nul_sender", text: "before\u0000after" });
    const newer = fake.addDirectMessage({ username: "nul_sender", text: "next one" });

    await listener.pollOnce();
    await listener.pollOnce();

    expect(await interaction(`dm:${nul.id}`)).toMatchObject({ text: "beforeafter" });
    expect(await interaction(`dm:${newer.id}`)).toMatchObject({ text: "next one" });
    expect(await failuresOf(`dm:${nul.id}`)).toEqual([]);
  });

  it("does not let a DM that cannot be stored block the newer ones, and stores it on retry once the cause is gone", async () => {
    const { fake, listener } = await start();
    await listener.pollOnce();
    const allow = await refuseRows(database.db, "Interaction", "text", "POISON-DM");
    const poison = fake.addDirectMessage({ username: "poisoner", text: "this POISON-DM breaks storing" });
    const newer = [
      fake.addDirectMessage({ username: "after_1", text: "first after" }),
      fake.addDirectMessage({ username: "after_2", text: "second after" }),
    ];

    await listener.pollOnce();
    await listener.pollOnce();
    const later = fake.addDirectMessage({ username: "after_1", text: "one more" });
    await listener.pollOnce();

    for (const dm of [...newer, later]) expect(await interaction(`dm:${dm.id}`)).not.toBeNull();
    expect(await interaction(`dm:${poison.id}`)).toBeNull();
    const kept = await failuresOf(`dm:${poison.id}`);
    expect(kept).toHaveLength(1);
    // read once: the polls after it start past it, so the failure is not counted again
    expect(kept[0]).toMatchObject({ count: 1, resolvedAt: null });
    expect(kept[0]!.error).toContain("refused by the test");

    await allow();
    await listener.retry(kept[0]!.payload);

    expect(await interaction(`dm:${poison.id}`)).toMatchObject({ text: "this POISON-DM breaks storing" });
    const stored = await interaction(`dm:${poison.id}`);
    expect(stored!.customer.identities[0]).toMatchObject({
      externalId: poison.sender_id,
      handle: "poisoner",
    });
  });
});
