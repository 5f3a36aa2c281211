import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureMessage } from "../../../bots/conversation.ts";
import { createDiscordBot, type DiscordBot } from "../../../bots/discord/index.ts";
import type { InboundMessage } from "../../../bots/inbound.ts";
import { InboundRetries, retryInboundFailure } from "../../../bots/inbound-failures.ts";
import { type FakeDiscord, startFakeDiscord } from "../../fakes/discord.ts";
import { useTestDatabase } from "../../support/db.ts";
import { refuseRows } from "../../support/refuse-rows.ts";
import { waitFor } from "../../support/wait.ts";
import { recordingLogger } from "./log-lines.ts";

const database = useTestDatabase();
const { log, lines } = recordingLogger();
let discord: FakeDiscord;
let bot: DiscordBot;
/** Every message the adapter handed over, in order: duplicates would show here even though capture dedupes. */
const received: InboundMessage[] = [];
/** Private answers to slash commands, by command text; unset means "no private answer". */
const commandReplies = new Map<string, string>();
const retries = new InboundRetries();

beforeAll(async () => {
  discord = await startFakeDiscord();
  bot = createDiscordBot({
    token: discord.token,
    restUrl: discord.restUrl,
    log,
    onMessage: async (message) => {
      received.push(message);
      await captureMessage(database.db, message);
    },
    onCommandReply: (command) => commandReplies.get(command.text),
    db: database.db,
    retries,
  });
  await bot.start();
});
afterAll(async () => {
  await bot?.stop();
  await discord?.close();
});

const interactionOf = (externalId: string) =>
  database.db.interaction.findUnique({
    where: { channel_externalId: { channel: "discord", externalId } },
    include: { customer: { include: { identities: true } }, conversation: true },
  });

describe("Discord gateway session", () => {
  it("identifies with the guild, guild message, DM and message content intents, uncompressed", () => {
    expect(discord.gateway.identifies).toHaveLength(1);
    const identify = discord.gateway.identifies[0]!;
    // GUILDS 1<<0, GUILD_MESSAGES 1<<9, DIRECT_MESSAGES 1<<12, MESSAGE_CONTENT 1<<15
    expect(identify.intents).toBe((1 << 0) | (1 << 9) | (1 << 12) | (1 << 15));
    expect(identify.compress).toBe(false);
  });

  it("registers /help, /stop and /rate with an integer score from 1 to 5", () => {
    const commands = discord.commands();
    expect(commands.map((c) => c.name)).toEqual(["help", "stop", "rate"]);
    expect(commands[2]!.options).toEqual([
      expect.objectContaining({ name: "score", type: 4, required: true, min_value: 1, max_value: 5 }),
    ]);
  });
});

describe("Discord messages", () => {
  it("captures a DM with the customer's identity and opens a conversation on the DM channel", async () => {
    const sent = discord.messageCreate({
      author: {
        username: "siti.n",
        globalName: "Siti Nurhaliza",
        avatar: "a_0123456789abcdef0123456789abcdef",
      },
      content: "Halo, pesanan saya belum sampai",
      timestamp: "2026-03-01T08:30:00.123000+00:00",
    });
    const stored = await waitFor("the DM", () => interactionOf(sent.id));

    expect(stored).toMatchObject({
      direction: "inbound",
      author: "customer",
      text: "Halo, pesanan saya belum sampai",
    });
    expect(stored.sentAt.toISOString()).toBe("2026-03-01T08:30:00.123Z");
    expect(stored.customer).toMatchObject({ name: "Siti Nurhaliza", preferredChannel: "discord" });
    expect(stored.customer.identities).toEqual([
      expect.objectContaining({
        channel: "discord",
        externalId: sent.author.id,
        handle: "siti.n",
        displayName: "Siti Nurhaliza",
        avatarUrl: `https://cdn.discordapp.com/avatars/${sent.author.id}/a_0123456789abcdef0123456789abcdef.gif`,
      }),
    ]);
    expect(stored.conversation).toMatchObject({
      channel: "discord",
      status: "open",
      threadRef: sent.channel_id,
    });
  });

  it("captures a guild message that mentions the bot, without the mention, and ignores one that does not", async () => {
    const author = discord.user({ username: "jan_k" });
    const ignored = discord.messageCreate({
      author,
      place: "guild",
      content: "anyone know when the sale starts?",
    });
    const addressed = discord.messageCreate({
      author,
      place: "guild",
      mentionBot: true,
      content: "when does the sale start?",
    });
    expect(addressed.content).toBe(`<@${discord.botUser.id}> when does the sale start?`);
    const stored = await waitFor("the mention", () => interactionOf(addressed.id));

    expect(stored.text).toBe("when does the sale start?");
    expect(stored.conversation?.threadRef).toBe(discord.guild.channelId);
    // gateway order: the earlier message was decided before the later one was captured
    expect(await interactionOf(ignored.id)).toBeNull();
    expect(received.some((m) => m.externalId === ignored.id)).toBe(false);
  });

  it("captures a reply to the bot in a thread, with the thread as the place to answer", async () => {
    const botMessage = await bot.channel.send(
      { deliveryId: "d-thread-1", to: discord.guild.threadId, text: "Which order number is it?" },
      "d-thread-1",
    );
    const reply = discord.messageCreate({
      author: { username: "marta" },
      place: "thread",
      replyTo: botMessage.providerId,
      content: "It's #10423",
    });
    const stored = await waitFor("the thread reply", () => interactionOf(reply.id));

    expect(stored.text).toBe("It's #10423");
    expect(stored.conversation?.threadRef).toBe(discord.guild.threadId);
    expect(received.find((m) => m.externalId === reply.id)).toMatchObject({
      threadRef: discord.guild.threadId,
      replyTo: reply.id,
    });
  });

  it("ignores other bots' messages", async () => {
    const author = discord.user({ username: "other_bot", bot: true });
    const fromBot = discord.messageCreate({ author, content: "beep" });
    const human = discord.messageCreate({ content: "hello" });
    await waitFor("the human's message", () => interactionOf(human.id));
    expect(received.some((m) => m.externalId === fromBot.id)).toBe(false);
  });

  it("skips a malformed MESSAGE_CREATE with a log line holding its body, and keeps working", async () => {
    const malformed = { id: "1300000000000000001", channel_id: discord.guild.channelId, content: 42 };
    discord.dispatch("MESSAGE_CREATE", malformed);
    discord.dispatch("MESSAGE_CREATE", { ...malformed, channel_id: "not-a-snowflake", author: null });
    const after = discord.messageCreate({ content: "still there?" });
    await waitFor("the next message", () => interactionOf(after.id));

    const skipped = lines.filter((l) => l.msg === "skipped a malformed Discord MESSAGE_CREATE");
    expect(skipped.map((l) => l.raw)).toEqual([
      malformed,
      { ...malformed, channel_id: "not-a-snowflake", author: null },
    ]);
    expect(received.some((m) => m.externalId === malformed.id)).toBe(false);
  });

  it("keeps a message that cannot be stored in InboundFailure, stores the next, and stores it on retry", async () => {
    const allow = await refuseRows(database.db, "Interaction", "text", "POISON-DC");
    const poison = discord.messageCreate({ content: "this POISON-DC breaks storing" });
    const after = discord.messageCreate({ content: "and this one is fine" });
    await waitFor("the next message", () => interactionOf(after.id));

    const kept = await database.db.inboundFailure.findMany({
      where: { channel: "discord", sourceKey: poison.id },
    });
    expect(kept).toHaveLength(1);
    expect(kept[0]!.error).toContain("refused by the test");
    expect(await interactionOf(poison.id)).toBeNull();

    await allow();
    expect(await retryInboundFailure(database.db, retries, kept[0]!.id, new Date())).toEqual({
      kind: "resolved",
    });
    expect(await interactionOf(poison.id)).toMatchObject({ text: "this POISON-DC breaks storing" });
  });
});

describe("Discord slash commands", () => {
  it("turns /rate score:4 into the text '/rate 4' with the user's locale, acknowledged privately at once", async () => {
    const interaction = discord.interactionCreate({
      user: { username: "kasia", globalName: "Kasia" },
      name: "rate",
      options: { score: 4 },
      locale: "pl",
    });
    const stored = await waitFor("the rating", () => interactionOf(interaction.id));

    expect(stored.text).toBe("/rate 4");
    expect(stored.customer).toMatchObject({ name: "Kasia", locale: "pl" });
    expect(JSON.stringify(stored.raw)).not.toContain(interaction.token);
    const responses = await waitFor("the placeholder removed", () => {
      const mine = discord.interactionResponses.filter((r) => r.interactionId === interaction.id);
      return mine.length === 2 ? mine : undefined;
    });
    // type 5 = deferred channel message, flags 64 = ephemeral: only the user sees "thinking…"
    expect(responses[0]).toMatchObject({ kind: "callback", type: 5, data: { flags: 64 } });
    expect(responses[0]!.afterMs).toBeLessThan(3_000);
    expect(responses[1]).toMatchObject({ kind: "delete" });
  });

  it("answers a command privately with the reply the core chose", async () => {
    commandReplies.set("/help", "Write to us here any time. /stop unsubscribes, /rate rates us.");
    const interaction = discord.interactionCreate({ name: "help", place: "dm" });
    const edit = await waitFor("the private answer", () =>
      discord.interactionResponses.find((r) => r.interactionId === interaction.id && r.kind === "edit"),
    );
    expect(edit.data).toMatchObject({
      content: "Write to us here any time. /stop unsubscribes, /rate rates us.",
    });
    expect((await interactionOf(interaction.id))?.text).toBe("/help");
  });
});

describe("Discord gateway reconnects", () => {
  it("resumes after the gateway drops, receives what was sent meanwhile, and captures nothing twice", async () => {
    const before = discord.messageCreate({ content: "before the drop" });
    await waitFor("the first message", () => interactionOf(before.id));
    const resumed = discord.gateway.resumedCount;

    discord.dropGateway(4000);
    const meanwhile = discord.messageCreate({ content: "sent while disconnected" });
    await discord.waitForGateway({ resumed: resumed + 1 });
    const after = discord.messageCreate({ content: "after the resume" });
    await waitFor("the message after the resume", () => interactionOf(after.id));

    expect(await interactionOf(meanwhile.id)).not.toBeNull();
    expect(discord.gateway.identifies).toHaveLength(1);
    const ids = received.map((m) => m.externalId);
    expect(ids.filter((id) => [before.id, meanwhile.id, after.id].includes(id))).toEqual([
      before.id,
      meanwhile.id,
      after.id,
    ]);
  });

  it("follows Discord's RECONNECT request and keeps capturing", async () => {
    const resumed = discord.gateway.resumedCount;
    discord.requestReconnect();
    await discord.waitForGateway({ resumed: resumed + 1 });
    const after = discord.messageCreate({ content: "after op 7" });
    await waitFor("the message after op 7", () => interactionOf(after.id));
    expect(received.filter((m) => m.externalId === after.id)).toHaveLength(1);
  });
});
