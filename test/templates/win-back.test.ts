import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { LOCALES, SENDING_CHANNEL_NAMES } from "../../lib/channels.ts";
import { TemplateError } from "../../lib/errors.ts";
import { createTemplateStore } from "../../templates/index.ts";

const store = createTemplateStore();
const plain = (text = "") => text.replace(/[\u00a0\u202f]/g, " ");
const sample = parse(
  readFileSync(new URL("../../templates/win-back/sample.yaml", import.meta.url), "utf8"),
) as Record<string, unknown>;

const UNSUBSCRIBE = "https://kopikita.example/u/abc123";

/** The sample data with some fields replaced; a field set to undefined is left out. */
function winBack(changes: Record<string, unknown> = {}): Record<string, unknown> {
  const data: Record<string, unknown> = { ...sample, ...changes };
  for (const key of Object.keys(changes)) if (changes[key] === undefined) delete data[key];
  return data;
}

// validUntil is 2026-03-19T16:59:59Z: 19 March in Jakarta (23:59) as in UTC.
const BY_LOCALE = {
  en: {
    subject: "We miss you, Ana! Here's 15% off your next order",
    date: "March 19, 2026",
    unsubscribe: "Unsubscribe from these emails",
  },
  id: {
    subject: "Lama tak berjumpa, Ana! Ini diskon 15% khusus untuk Anda",
    date: "19 Maret 2026",
    unsubscribe: "Berhenti berlangganan email ini",
  },
  pl: {
    subject: "Tęsknimy za Tobą! Mamy dla Ciebie 15% rabatu",
    date: "19 marca 2026",
    unsubscribe: "Wypisz się z tych wiadomości",
  },
} as const;

describe.each(LOCALES)("win-back in %s", (locale) => {
  const expected = BY_LOCALE[locale];

  it("writes the subject, the coupon, the percent and the expiry date in the email's language", () => {
    const message = store.render("win-back", "email", locale, sample, { timezone: "Asia/Jakarta" });
    expect(message).toMatchObject({ locale, template: "win-back", channel: "email" });
    expect(message.subject).toBe(expected.subject);
    expect(message.html).toContain(`lang="${locale}"`);
    for (const part of [message.html, message.text]) {
      expect(part).toContain("WINBACK15-7KQ2M9");
      expect(part).toContain("15%");
      expect(plain(part)).toContain(expected.date);
    }
  });

  it("shows the coupon prominently and links the button to the shop", () => {
    const html = store.render("win-back", "email", locale, sample).html ?? "";
    expect(html).toMatch(/monospace;[^"]*">WINBACK15-7KQ2M9<\/p>/);
    expect(html).toMatch(/<a href="https:\/\/kopikita\.example" target="_blank"[^>]*>[^<]+<\/a>/);
  });

  it("shows the unsubscribe link in the HTML and the text part when it is given", () => {
    const message = store.render("win-back", "email", locale, sample);
    expect(message.html).toContain(`<a href="${UNSUBSCRIBE}"`);
    expect(message.html).toContain(`>${expected.unsubscribe}</a>`);
    expect(message.text).toContain(`${expected.unsubscribe}: ${UNSUBSCRIBE}`);
  });

  it("leaves the unsubscribe link out when links has none, or there are no links", () => {
    for (const data of [winBack({ links: {} }), winBack({ links: undefined })]) {
      const message = store.render("win-back", "email", locale, data);
      for (const part of [message.html, message.text]) {
        expect(part).not.toContain(expected.unsubscribe);
        expect(part).not.toContain("/u/abc123");
      }
    }
  });

  it.each(SENDING_CHANNEL_NAMES.filter((c) => c !== "email"))(
    "sends a short plain-text message on %s",
    (channel) => {
      const message = store.render("win-back", channel, locale, sample, { timezone: "Asia/Jakarta" });
      expect(message).toMatchObject({ locale, channel });
      expect(message.subject).toBeUndefined();
      expect(message.html).toBeUndefined();
      expect(message.text).not.toMatch(/<[a-z/]/i);
      expect(message.text).toContain("WINBACK15-7KQ2M9");
      expect(message.text).toContain("15%");
      expect(plain(message.text)).toContain(expected.date);
      expect(message.text).toContain("https://kopikita.example");
      expect(message.text).toContain("/stop");
    },
  );

  it("fits a post on X with the sample data", () => {
    expect(store.render("win-back", "x", locale, sample).text.length).toBeLessThanOrEqual(280);
  });

  it("greets neutrally without a name and leaves the button out without a shop address", () => {
    const data = winBack({ customer: { email: "c@example.com" }, brand: { name: "Kopi Kita" } });
    const message = store.render("win-back", "email", locale, data);
    expect(message.subject).not.toContain("Ana");
    expect(message.text).not.toContain("Ana");
    expect(message.html).not.toContain('target="_blank"');
    expect(message.html).not.toMatch(/undefined|null/);
    expect(store.render("win-back", "telegram", locale, data).text).not.toContain("http");
  });
});

describe("win-back formatting", () => {
  it("shows the expiry date in the customer's timezone, which can change the day", () => {
    const data = winBack({ validUntil: "2026-03-19T20:00:00Z" });
    const jakarta = { timezone: "Asia/Jakarta" };
    expect(plain(store.render("win-back", "email", "id", data, jakarta).text)).toContain("20 Maret 2026");
    expect(plain(store.render("win-back", "email", "pl", data, jakarta).text)).toContain("20 marca 2026");
    expect(plain(store.render("win-back", "email", "pl", data).text)).toContain("19 marca 2026");
    const warsaw = store.render("win-back", "x", "pl", data, { timezone: "Europe/Warsaw" });
    expect(warsaw.text).toContain("19 marca 2026");
  });

  it("writes a fractional percent with the language's decimal mark", () => {
    const data = winBack({ discount: 12.5 });
    expect(store.render("win-back", "email", "en", data).subject).toContain("12.5% off");
    expect(store.render("win-back", "email", "id", data).subject).toContain("diskon 12,5%");
    expect(store.render("win-back", "email", "pl", data).subject).toContain("12,5% rabatu");
  });

  it("refuses to send without an expiry date, naming the file and line", () => {
    const render = () => store.render("win-back", "email", "pl", winBack({ validUntil: undefined }));
    expect(render).toThrow(TemplateError);
    expect(render).toThrow(/win-back\/email\.pl\.hbs:3: date: .*the field is missing/);
  });

  it("escapes the customer's name in the HTML but not in the subject", () => {
    const message = store.render("win-back", "email", "en", winBack({ customer: { name: "<b>Ana</b>" } }));
    expect(message.html).toContain("Hi &lt;b&gt;Ana&lt;/b&gt;,");
    expect(message.html).not.toContain("<b>Ana</b>");
    expect(message.subject).toBe("We miss you, <b>Ana</b>! Here's 15% off your next order");
  });
});
