import type { Message } from "grammy/types";
import { describe, expect, it } from "vitest";
import { addressedText, isAddressedToBot } from "../../../bots/telegram/addressing.ts";
import { buildTextMessage } from "../../fakes/index.ts";

const me = { id: 7_000_000_001, username: "Shop_Bot" };
const inGroup = (text: string): Message =>
  buildTextMessage({ chatId: -100200, fromId: 42, text, messageId: 1, date: 1_795_000_000 });

describe("group addressing", () => {
  it("strips the mention and the punctuation that addressed the bot, whatever its case", () => {
    const message = inGroup("@shop_bot, is the blue one in stock?");
    expect(isAddressedToBot(message, me)).toBe(true);
    expect(addressedText(message, me)).toBe("is the blue one in stock?");
  });

  it("keeps other people's mentions and ignores messages that only mention them", () => {
    expect(isAddressedToBot(inGroup("ask @other_person"), me)).toBe(false);
    expect(addressedText(inGroup("hi @shop_bot and @other_person"), me)).toBe("hi and @other_person");
  });

  it("recognises a text_mention of the bot by its user id", () => {
    const message: Message = {
      ...inGroup("Shop Bot what time do you open?"),
      entities: [
        {
          type: "text_mention",
          offset: 0,
          length: 8,
          user: { id: me.id, is_bot: true, first_name: "Shop Bot" },
        },
      ],
    };
    expect(isAddressedToBot(message, me)).toBe(true);
    expect(addressedText(message, me)).toBe("what time do you open?");
  });

  it("shortens /command@bot to /command and leaves commands for other bots alone", () => {
    expect(addressedText(inGroup("/rate@shop_bot 5"), me)).toBe("/rate 5");
    expect(isAddressedToBot(inGroup("/rate@other_bot 5"), me)).toBe(false);
    expect(isAddressedToBot(inGroup("/rate 5"), me)).toBe(false);
  });

  it("counts offsets in UTF-16 units, so emoji before the mention do not shift the cut", () => {
    expect(addressedText(inGroup("👋🏽 @shop_bot hello"), me)).toBe("👋🏽 hello");
  });
});
