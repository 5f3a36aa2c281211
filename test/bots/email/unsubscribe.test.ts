import { describe, expect, it } from "vitest";
import {
  unsubscribeHeaders,
  unsubscribeToken,
  unsubscribeUrl,
  verifyUnsubscribeToken,
} from "../../../bots/index.ts";

const SECRET = "unsubscribe-secret-for-tests-0123456789";
const ADA = "3f1c2b7e-9d4a-4c1e-8b2f-6a5d4c3b2a19";
const BOB = "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d";
const DELIVERY = "c0ffee00-1234-4abc-8def-0123456789ab";

const flip = (token: string, at: number) => {
  const bytes = Buffer.from(token, "base64url");
  bytes[at] = (bytes[at] ?? 0) ^ 0x01;
  return bytes.toString("base64url");
};

describe("unsubscribe tokens", () => {
  it("round-trips a customer, channel and delivery in a short URL-safe token", () => {
    const token = unsubscribeToken(SECRET, { customerId: ADA, channel: "email", deliveryId: DELIVERY });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(token.length).toBeLessThanOrEqual(67);
    expect(verifyUnsubscribeToken(SECRET, token)).toEqual({
      customerId: ADA,
      channel: "email",
      deliveryId: DELIVERY,
    });
  });

  it("works without a delivery, on every channel", () => {
    for (const channel of ["email", "telegram", "discord", "x", "webchat"] as const) {
      const token = unsubscribeToken(SECRET, { customerId: ADA, channel });
      expect(token.length).toBe(46);
      expect(verifyUnsubscribeToken(SECRET, token)).toEqual({ customerId: ADA, channel });
    }
  });

  it("is the same token every time, so links in resent messages match", () => {
    const target = { customerId: ADA, channel: "email" as const };
    expect(unsubscribeToken(SECRET, target)).toBe(unsubscribeToken(SECRET, target));
  });

  it("refuses a token signed with another secret", () => {
    const token = unsubscribeToken("another-secret-9876543210", { customerId: ADA, channel: "email" });
    expect(verifyUnsubscribeToken(SECRET, token)).toBeUndefined();
  });

  it("refuses any changed byte: another customer, another channel, or a bent signature", () => {
    const token = unsubscribeToken(SECRET, { customerId: ADA, channel: "email", deliveryId: DELIVERY });
    for (const at of [0, 1, 2, 17, 18, 33, 34, 49])
      expect(verifyUnsubscribeToken(SECRET, flip(token, at))).toBeUndefined();
  });

  it("cannot be turned into Bob's link by pasting Bob's id over Ada's", () => {
    const ada = Buffer.from(unsubscribeToken(SECRET, { customerId: ADA, channel: "email" }), "base64url");
    Buffer.from(BOB.replace(/-/g, ""), "hex").copy(ada, 2);
    expect(verifyUnsubscribeToken(SECRET, ada.toString("base64url"))).toBeUndefined();
  });

  it("refuses truncated, padded, extended and non-base64url tokens", () => {
    const token = unsubscribeToken(SECRET, { customerId: ADA, channel: "email" });
    for (const bad of [
      token.slice(0, -1),
      `${token}=`,
      `${token}AA`,
      token.replace(/^./, "+"),
      "",
      "u",
      "../etc",
    ]) {
      expect(verifyUnsubscribeToken(SECRET, bad)).toBeUndefined();
    }
  });

  it("refuses ids that are not UUIDs when making a token", () => {
    expect(() => unsubscribeToken(SECRET, { customerId: "42", channel: "email" })).toThrow(
      /customerId must be a UUID/,
    );
  });
});

describe("unsubscribe links and headers", () => {
  it("puts the token under PUBLIC_URL/u/", () => {
    expect(unsubscribeUrl("https://crm.shop.test/", "abc")).toBe("https://crm.shop.test/u/abc");
    expect(unsubscribeUrl("https://shop.test/crm", "abc")).toBe("https://shop.test/crm/u/abc");
  });

  it("gives RFC 8058 one-click headers, with an optional mailto", () => {
    expect(unsubscribeHeaders("https://crm.shop.test/u/abc")).toEqual({
      "List-Unsubscribe": "<https://crm.shop.test/u/abc>",
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    });
    expect(
      unsubscribeHeaders("https://crm.shop.test/u/abc", "mailto:stop@shop.test")["List-Unsubscribe"],
    ).toBe("<https://crm.shop.test/u/abc>, <mailto:stop@shop.test>");
  });
});
