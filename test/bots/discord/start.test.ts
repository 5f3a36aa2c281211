import { afterEach, describe, expect, it } from "vitest";
import { createDiscordBot, type DiscordBot } from "../../../bots/discord/index.ts";
import { ConfigError } from "../../../lib/errors.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { type FakeDiscord, startFakeDiscord } from "../../fakes/discord.ts";

let discord: FakeDiscord | undefined;
let bot: DiscordBot | undefined;

afterEach(async () => {
  await bot?.stop();
  await discord?.close();
  bot = undefined;
  discord = undefined;
});

async function startWith(options: { token?: string; messageContentIntent?: boolean }): Promise<unknown> {
  discord = await startFakeDiscord({ messageContentIntent: options.messageContentIntent });
  bot = createDiscordBot({
    token: options.token ?? discord.token,
    restUrl: discord.restUrl,
    log: silentLogger,
    onMessage: async () => {},
  });
  return bot.start().then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe("Discord bot start-up", () => {
  it("stops with how to fix DISCORD_BOT_TOKEN when Discord refuses the token", async () => {
    const error = await startWith({ token: "MTIz.wrong.token" });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe("DISCORD_BOT_TOKEN");
    expect((error as Error).message).toMatch(
      /refused by Discord \(401\).*Developer Portal.*DISCORD_BOT_TOKEN/,
    );
    expect(discord!.gateway.identifies).toHaveLength(0);
  });

  it("stops with where to enable the Message Content intent when Discord refuses it", async () => {
    const error = await startWith({ messageContentIntent: false });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/Privileged Gateway Intents → Message Content Intent/);
    // 4014 is final: discord.js must not try again and again
    expect(discord!.gateway.identifies).toHaveLength(1);
  });
});
