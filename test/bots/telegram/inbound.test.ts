import type { CallbackQuery } from "grammy/types";
import { describe, expect, it } from "vitest";
import { callbackToInbound, toE164 } from "../../../bots/telegram/inbound.ts";

describe("toE164", () => {
  it("adds the plus and drops spacing Telegram clients sometimes keep", () => {
    expect(toE164("48601234567")).toBe("+48601234567");
    expect(toE164("+62 812-3456-789")).toBe("+628123456789");
  });

  it("refuses what cannot be a phone number", () => {
    expect(toE164("12345")).toBeUndefined();
    expect(toE164("0048601234567890")).toBeUndefined();
    expect(toE164("call me")).toBeUndefined();
  });
});

describe("callbackToInbound", () => {
  const press = (data: string | undefined): CallbackQuery => ({
    id: "99",
    from: { id: 42, is_bot: false, first_name: "Ada", language_code: "id" },
    chat_instance: "-1",
    ...(data === undefined ? {} : { data }),
  });

  it("reads rate:1 to rate:5 only", () => {
    const now = new Date(0);
    expect(callbackToInbound(press("rate:1"), now)).toMatchObject({ ok: true, message: { text: "/rate 1" } });
    for (const data of ["rate:0", "rate:6", "rate:4:extra", "rate:", "stop", undefined]) {
      expect(callbackToInbound(press(data), now).ok).toBe(false);
    }
  });

  it("threads a press without its message (too old to be sent) to the user's private chat", () => {
    const result = callbackToInbound(press("rate:5"), new Date(0));
    expect(result).toMatchObject({ ok: true, message: { threadRef: "42", externalId: "cb:99" } });
  });
});
