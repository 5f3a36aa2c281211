export { createDiscordBot, type DiscordBot, type DiscordBotOptions } from "./bot.ts";
export { createDiscordChannel, type DiscordChannelOptions } from "./channel.ts";
export { commandToInbound, SLASH_COMMANDS } from "./commands.ts";
export { toSendError } from "./errors.ts";
export { decideMessage, type MessageDecision, type SkipReason } from "./inbound.ts";
