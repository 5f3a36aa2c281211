import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { LOCALES, SENDING_CHANNEL_NAMES } from "../../lib/channels.ts";
import { createTemplateStore } from "../../templates/index.ts";

const store = createTemplateStore();
const plain = (text = "") => text.replace(/[\u00a0\u202f]/g, " ");
const sample = parse(
  readFileSync(new URL("../../templates/promo/sample.yaml", import.meta.url), "utf8"),
) as Record<string, unknown>;

const UNSUBSCRIBE = "https://kopikita.example/u/abc123";
const CHATS = SENDING_CHANNEL_NAMES.filter((c) => c !== "email");

/** The sample data with some fields replaced; a field set to undefined is left out. */
function promo(changes: Record<string, unknown> = {}): Record<string, unknown> {
  const data: Record<string, unknown> = { ...sample, ...changes };
  for (const key of Object.keys(changes)) if (changes[key] === undefined) delete data[key];
  return data;
}

// endsAt is 2026-12-06T16:59:59Z: 6 December in Jakarta (23:59) as in UTC.
const BY_LOCALE = {
  en: {
    subject: "Year-end sale: early access for our VIPs",
    discount: "20% off",
    date: "December 6, 2026",
    cta: "Shop the sale",
    defaultCta: "Shop now",
    unsubscribe: "Unsubscribe from these emails",
  },
  id: {
    subject: "Promo akhir tahun: akses lebih awal untuk pelanggan VIP",
    discount: "Diskon 20%",
    date: "6 Desember 2026",
    cta: "Belanja sekarang",
    defaultCta: "Belanja sekarang",
    unsubscribe: "Berhenti berlangganan email ini",
  },
  pl: {
    subject: "Wyprzedaż na koniec roku: wcześniejszy dostęp dla VIP-ów",
    discount: "20% rabatu",
    date: "6 grudnia 2026",
    cta: "Sprawdź ofertę",
    defaultCta: "Sprawdź ofertę",
    unsubscribe: "Wypisz się z tych wiadomości",
  },
} as const;

describe.each(LOCALES)("promo in %s", (locale) => {
  const expected = BY_LOCALE[locale];

  it("takes the subject and title from the headline in the email's language", () => {
    const message = store.render("promo", "email", locale, sample, { timezone: "Asia/Jakarta" });
    expect(message).toMatchObject({ locale, template: "promo", channel: "email" });
    expect(message.subject).toBe(expected.subject);
    expect(message.html).toContain(`<title>${expected.subject}</title>`);
    expect(message.text).toContain(expected.subject);
  });

  it("shows the discount, the code and the end date in the email's language", () => {
    const message = store.render("promo", "email", locale, sample, { timezone: "Asia/Jakarta" });
    for (const part of [message.html, message.text]) {
      expect(part).toContain(expected.discount);
      expect(part).toContain("VIP20");
      expect(plain(part)).toContain(expected.date);
    }
    expect(message.html).toMatch(/monospace;[^"]*">VIP20<\/p>/);
  });

  it("leaves the discount line out when there is no discount, keeping the code", () => {
    const message = store.render("promo", "email", locale, promo({ discount: undefined }));
    for (const part of [message.html, message.text]) {
      expect(part).not.toContain(expected.discount);
      expect(part).not.toContain("20%");
      expect(part).toContain("VIP20");
      expect(plain(part)).toContain(expected.date);
    }
    for (const channel of CHATS) {
      const chat = store.render("promo", channel, locale, promo({ discount: undefined })).text;
      expect(chat).not.toContain("20%");
      expect(chat).toContain("VIP20");
    }
  });

  it("shows the discount without a code, and no offer box when there is neither", () => {
    const noCode = store.render("promo", "email", locale, promo({ code: undefined }));
    expect(noCode.html).toContain(expected.discount);
    expect(noCode.text).toContain(expected.discount);
    expect(noCode.text).not.toContain("VIP20");
    const neither = store.render("promo", "email", locale, promo({ code: undefined, discount: undefined }));
    expect(neither.html).not.toContain("dashed");
    expect(neither.text).not.toContain("%");
    expect(plain(neither.text)).toContain(expected.date);
  });

  it("links the button to the call to action, else to the shop with a default label", () => {
    const withCta = store.render("promo", "email", locale, sample).html ?? "";
    expect(withCta).toMatch(
      new RegExp(`<a href="https://kopikita\\.example/sale" target="_blank"[^>]*>${expected.cta}</a>`),
    );
    const message = store.render("promo", "email", locale, promo({ cta: undefined }));
    expect(message.html).toMatch(
      new RegExp(`<a href="https://kopikita\\.example" target="_blank"[^>]*>${expected.defaultCta}</a>`),
    );
    expect(message.text).toContain(`${expected.defaultCta}: https://kopikita.example\n`);
    const chat = store.render("promo", "telegram", locale, promo({ cta: undefined })).text;
    expect(chat).toContain(`${expected.defaultCta}: https://kopikita.example\n`);
  });

  it("shows the unsubscribe link in the HTML and the text part only when it is given", () => {
    const message = store.render("promo", "email", locale, sample);
    expect(message.html).toContain(`<a href="${UNSUBSCRIBE}"`);
    expect(message.html).toContain(`>${expected.unsubscribe}</a>`);
    expect(message.text).toContain(`${expected.unsubscribe}: ${UNSUBSCRIBE}`);
    const without = store.render("promo", "email", locale, promo({ links: undefined }));
    for (const part of [without.html, without.text]) {
      expect(part).not.toContain(expected.unsubscribe);
      expect(part).not.toContain(UNSUBSCRIBE);
    }
  });

  it.each(CHATS)("sends the headline, the offer and the link as plain text on %s", (channel) => {
    const message = store.render("promo", channel, locale, sample, { timezone: "Asia/Jakarta" });
    expect(message).toMatchObject({ locale, channel });
    expect(message.html).toBeUndefined();
    expect(message.text).not.toMatch(/<[a-z/]/i);
    expect(message.text.split("\n")[0]).toBe(expected.subject);
    expect(message.text).toContain(expected.discount);
    expect(message.text).toContain("VIP20");
    expect(plain(message.text)).toContain(expected.date);
    expect(message.text).toContain(`${expected.cta}: https://kopikita.example/sale`);
    expect(message.text).toContain("/stop");
  });

  it("fits a post on X with the sample data", () => {
    expect(store.render("promo", "x", locale, sample).text.length).toBeLessThanOrEqual(280);
  });
});

describe("promo texts", () => {
  it("uses a headline and body given as one text in every language", () => {
    const data = promo({
      headline: "Flash sale",
      body: "Only this weekend.",
      cta: { label: "Go", url: "https://x.example" },
    });
    for (const locale of LOCALES) {
      const message = store.render("promo", "email", locale, data);
      expect(message.subject).toBe("Flash sale");
      expect(message.text).toContain("Only this weekend.");
      expect(message.text).toContain("Go: https://x.example");
    }
  });

  it("falls back to the English text for a language the campaign did not translate", () => {
    const data = promo({ headline: { en: "Flash sale", pl: "Wyprzedaż błyskawiczna" } });
    expect(store.render("promo", "email", "id", data).subject).toBe("Flash sale");
    expect(store.render("promo", "email", "pl", data).subject).toBe("Wyprzedaż błyskawiczna");
  });

  it("escapes the headline and body in the HTML but not in the subject", () => {
    const data = promo({ headline: "Tea & <b>cake</b>", body: "<script>x</script>" });
    const message = store.render("promo", "email", "en", data);
    expect(message.subject).toBe("Tea & <b>cake</b>");
    expect(message.html).toContain("Tea &amp; &lt;b&gt;cake&lt;/b&gt;</h1>");
    expect(message.html).not.toContain("<script>");
  });

  it("shows the end date in the customer's timezone", () => {
    const data = promo({ endsAt: "2026-12-06T20:00:00Z" });
    expect(plain(store.render("promo", "x", "id", data, { timezone: "Asia/Jakarta" }).text)).toContain(
      "7 Desember 2026",
    );
    expect(plain(store.render("promo", "x", "pl", data, { timezone: "Europe/Warsaw" }).text)).toContain(
      "6 grudnia 2026",
    );
  });
});
