import type { Message, MessageEntity } from "grammy/types";

/** Who the bot is on Telegram: what `getMe` answered. */
export interface BotIdentity {
  id: number;
  username: string;
}

/**
 * True when a group message is for the bot: it mentions `@username` (or names the bot with a
 * `text_mention`), carries a `/command@username`, or replies to one of the bot's own messages. In groups the
 * bot answers only these; everything else there is other people talking.
 */
export function isAddressedToBot(message: Message, me: BotIdentity): boolean {
  if (message.reply_to_message?.from?.id === me.id) return true;
  const text = message.text ?? message.caption ?? "";
  return entitiesOf(message).some((entity) => namesBot(entity, text, me));
}

/**
 * The text as the conversation core should read it: mentions of the bot removed ("@shop_bot where is my
 * order?" → "where is my order?") and a leading "/command@shop_bot" shortened to "/command", so commands
 * read the same in a group as in a private chat. Other people's mentions stay.
 */
export function addressedText(message: Message, me: BotIdentity): string {
  const text = message.text ?? message.caption ?? "";
  const cuts = entitiesOf(message)
    .filter((entity) => namesBot(entity, text, me))
    .sort((a, b) => b.offset - a.offset);
  let result = text;
  for (const entity of cuts) {
    const end = entity.offset + entity.length;
    // offsets are UTF-16 code units, as JavaScript strings count them
    if (entity.type === "bot_command") {
      const command = result.slice(entity.offset, end).split("@")[0] ?? "";
      result = result.slice(0, entity.offset) + command + result.slice(end);
    } else {
      result = result.slice(0, entity.offset) + result.slice(end);
    }
  }
  if (cuts.length === 0) return text;
  // "@shop_bot, help" leaves ", help": drop the punctuation that addressed the bot and the doubled spaces
  return result
    .replace(/[ \t]{2,}/g, " ")
    .replace(/^[\s,:;]+/, "")
    .trim();
}

function entitiesOf(message: Message): MessageEntity[] {
  return message.entities ?? message.caption_entities ?? [];
}

function namesBot(entity: MessageEntity, text: string, me: BotIdentity): boolean {
  const slice = text.slice(entity.offset, entity.offset + entity.length).toLowerCase();
  const username = me.username.toLowerCase();
  switch (entity.type) {
    case "mention":
      return slice === `@${username}`;
    case "text_mention":
      return entity.user.id === me.id;
    case "bot_command":
      return slice.endsWith(`@${username}`);
    default:
      return false;
  }
}
