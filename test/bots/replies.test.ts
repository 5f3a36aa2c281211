import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { BOT_TEXTS, t } from "../../bots/i18n.ts";
import { answerIn, compileReplies, isOpen, loadReplies, matchRule } from "../../bots/replies.ts";
import { LOCALES } from "../../lib/channels.ts";

const shipped = loadReplies(fileURLToPath(new URL("../../bots/replies.yaml", import.meta.url)));

describe("bots/replies.yaml", () => {
  it("answers by keyword as a word, in any case, in the customer's language", () => {
    const rule = matchRule(shipped, "Kapan PENGIRIMAN pesanan saya?");
    expect(rule?.name).toBe("shipping");
    expect(answerIn(rule!, "id")).toMatch(/Kami mengirim/);
    expect(answerIn(rule!, "fr")).toMatch(/We ship/);
    expect(matchRule(shipped, "I want to reship nothing")).toBeUndefined();
  });

  it("matches a rule's regex", () => {
    expect(matchRule(shipped, "Chcę zwrot pieniędzy")?.name).toBe("refund");
  });

  it("knows business hours in its timezone", () => {
    // Monday 10:00 in Jakarta is 03:00 UTC; Sunday is closed
    expect(isOpen(shipped, new Date("2026-11-23T03:00:00Z"))).toBe(true);
    expect(isOpen(shipped, new Date("2026-11-23T12:00:00Z"))).toBe(false);
    expect(isOpen(shipped, new Date("2026-11-22T03:00:00Z"))).toBe(false);
  });

  it("reports a broken rules file with file:line:col and what was expected", () => {
    const source = [
      "timezone: Asia/Jakart",
      "rules:",
      "  - name: greeting",
      "    keywords: [hello]",
      "    action: vanish",
      "    answer: { en: Hi, id: Halo }",
    ].join("\n");
    expect(() => compileReplies(source, "bots/replies.yaml")).toThrowError(
      [
        "bots/replies.yaml:1:11: timezone: expected an IANA time zone such as Asia/Jakarta",
        'bots/replies.yaml:5:13: rules.0.action: Invalid option: expected one of "close"|"handover"|"continue"',
        "bots/replies.yaml:6:13: rules.0.answer.pl: Invalid input: expected string, received undefined",
      ].join("\n"),
    );
  });
});

describe("bot texts", () => {
  it("exist in every locale, with the same placeholders", () => {
    for (const [key, texts] of Object.entries(BOT_TEXTS)) {
      const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      for (const locale of LOCALES) {
        expect(texts[locale], `${key}.${locale}`).toBeTruthy();
        expect(placeholders(texts[locale]), `${key}.${locale}`).toEqual(placeholders(texts.en));
      }
    }
  });

  it("fill placeholders and fall back to English", () => {
    expect(t("pl-PL", "linkCode", { code: "K7M2QP", minutes: 10 })).toContain("/link K7M2QP");
    expect(t("de", "ratingThanks")).toBe("Thank you for your rating!");
  });
});
