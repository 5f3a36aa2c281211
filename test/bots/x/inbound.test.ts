import { describe, expect, it } from "vitest";
import { dmToInbound, localeOf, tweetToInbound } from "../../../bots/x/index.ts";

const brand = { id: "100", username: "rapport_brand" };
const users = new Map([
  ["200", { id: "200", username: "ana", name: "Ana", profile_image_url: "https://img/ana" }],
]);
const context = { brand, users, now: Date.UTC(2026, 0, 1) };

describe("X payloads to InboundMessage", () => {
  it("reads X's lang as a locale only when it is a language", () => {
    expect(localeOf("pl")).toBe("pl");
    expect(localeOf("in")).toBe("id");
    expect(localeOf("pt-BR")).toBe("pt-BR");
    expect(localeOf("und")).toBeUndefined();
    expect(localeOf("qme")).toBeUndefined();
    expect(localeOf("zxx")).toBeUndefined();
    expect(localeOf(undefined)).toBeUndefined();
  });

  it("keeps the full text of a long post (note_tweet)", () => {
    const result = tweetToInbound(
      {
        id: "300",
        text: "@rapport_brand short…",
        author_id: "200",
        note_tweet: { text: "@rapport_brand the long one" },
      },
      context,
    );
    expect(result).toMatchObject({
      message: { text: "@rapport_brand the long one", sender: { handle: "ana" } },
    });
  });

  it("treats a reply to the brand as addressed to it even without an @-mention", () => {
    const result = tweetToInbound(
      { id: "301", text: "thanks!", author_id: "200", in_reply_to_user_id: "100", lang: "en" },
      context,
    );
    expect("message" in result && result.message.conversational).not.toBe(false);
  });

  it("skips a malformed post with a reason instead of throwing", () => {
    expect(tweetToInbound({ id: 5, text: null }, context)).toMatchObject({
      skip: expect.stringMatching(/malformed/),
    });
    expect(dmToInbound("nonsense", context)).toMatchObject({ skip: expect.stringMatching(/malformed/) });
  });

  it("skips DM events that are not messages, and falls back to the clock without created_at", () => {
    expect(dmToInbound({ id: "1", event_type: "ParticipantsJoin" }, context)).toMatchObject({ quiet: true });
    const result = dmToInbound(
      { id: "2", event_type: "MessageCreate", text: "hi", sender_id: "200" },
      context,
    );
    expect(result).toMatchObject({
      message: { externalId: "dm:2", threadRef: "dm:200", sentAt: new Date(context.now) },
    });
  });
});
