import { describe, expect, it } from "vitest";
import { createTemplateStore, type ThankYouData } from "../../templates/index.ts";

const store = createTemplateStore();
const plain = (text = "") => text.replace(/[\u00a0\u202f]/g, " ");

interface Item {
  name?: string;
  sku: string;
  quantity: number;
  unitPrice: number | string;
}

function order(
  currency: string,
  total: number | string,
  items: Item[],
  name: string | null = "Ana",
): ThankYouData {
  return {
    customer: name === null ? { email: "c@example.com" } : { name, email: "c@example.com" },
    order: { id: "A-1042", total, currency, items },
    brand: { name: "Kopi Kita", url: "https://kopikita.example" },
    unsubscribeUrl: "https://kopikita.example/u/abc",
  };
}

describe("thank-you email", () => {
  it("thanks an English customer by name with dollar amounts", () => {
    const items = [{ name: "Mug", sku: "MUG", quantity: 2, unitPrice: 21.25 }];
    const message = store.render("thank-you", "email", "en", order("USD", 42.5, items));
    expect(message).toMatchObject({ locale: "en", template: "thank-you", channel: "email" });
    expect(message.subject).toBe("Thank you for your order, Ana!");
    for (const part of [message.html, message.text]) {
      expect(part).toContain("Hi Ana,");
      expect(part).toContain("A-1042");
      expect(part).toContain("$42.50");
      expect(part).toContain("$21.25");
      expect(part).toContain("2 items");
    }
  });

  it("formats euros in English", () => {
    const items = [{ name: "Beans", sku: "B1", quantity: 1, unitPrice: "9.90" }];
    const message = store.render("thank-you", "email", "en-GB", order("EUR", "9.90", items));
    expect(message.text).toContain("€9.90");
    expect(message.text).toContain("1 item");
  });

  it("writes Indonesian with rupiah and no fraction digits", () => {
    const items = [{ name: "Kopi Gayo", sku: "GAYO", quantity: 2, unitPrice: 75000 }];
    const message = store.render("thank-you", "email", "id", order("IDR", 150000, items));
    expect(message.locale).toBe("id");
    expect(message.subject).toBe("Terima kasih atas pesanan Anda, Ana!");
    expect(plain(message.text)).toContain("Total: Rp 150.000");
    expect(plain(message.text)).toContain("2 × Rp 75.000");
    expect(message.text).toContain("2 produk");
    expect(message.html).toContain('lang="id"');
  });

  it("writes Polish with złoty and a decimal comma", () => {
    const items = [{ name: "Kubek", sku: "K1", quantity: 1, unitPrice: "199.99" }];
    const message = store.render("thank-you", "email", "pl-PL", order("PLN", "199.99", items));
    expect(message.locale).toBe("pl");
    expect(message.subject).toBe("Dziękujemy za zamówienie A-1042!");
    expect(plain(message.text)).toContain("Razem: 199,99 zł");
    expect(plain(message.html)).toContain("199,99 zł");
    expect(message.text).toContain("Cześć Ana!");
  });

  it.each([
    [1, "1 produkt"],
    [2, "2 produkty"],
    [5, "5 produktów"],
    [22, "22 produkty"],
    [25, "25 produktów"],
  ])("counts %i items with the right Polish plural", (quantity, expected) => {
    const items = [{ name: "Kubek", sku: "K1", quantity, unitPrice: 10 }];
    const message = store.render("thank-you", "email", "pl", order("PLN", quantity * 10, items));
    expect(message.text).toContain(`Zamówienie A-1042 · ${expected}\n`);
    expect(message.html).toContain(`· ${expected}</p>`);
  });

  it("adds up quantities across lines for the item count", () => {
    const items = [
      { name: "Kubek", sku: "K1", quantity: 1, unitPrice: 10 },
      { name: "Herbata", sku: "H1", quantity: 3, unitPrice: 5 },
    ];
    expect(store.render("thank-you", "email", "pl", order("PLN", 25, items)).text).toContain("4 produkty");
  });

  it("greets neutrally when the customer's name is unknown, and names an unnamed item by its SKU", () => {
    const items = [{ sku: "TEA-SAMPLER", quantity: 1, unitPrice: 5 }];
    for (const [locale, greeting, subject] of [
      ["en", "Hello,", "Thank you for your order!"],
      ["id", "Halo!", "Terima kasih atas pesanan Anda!"],
      ["pl", "Dzień dobry!", "Dziękujemy za zamówienie A-1042!"],
    ] as const) {
      const message = store.render("thank-you", "email", locale, order("USD", 5, items, null));
      expect(message.subject).toBe(subject);
      expect(message.text.startsWith(greeting)).toBe(true);
      expect(message.text).toContain("TEA-SAMPLER");
      expect(message.html).not.toMatch(/undefined|null/);
    }
  });

  it("falls back to English for a locale it has no template in, and says so", () => {
    const items = [{ name: "Tasse", sku: "T", quantity: 1, unitPrice: 3 }];
    const message = store.render("thank-you", "email", "fr-FR", order("EUR", 3, items));
    expect(message.locale).toBe("en");
    expect(message.subject).toBe("Thank you for your order, Ana!");
  });

  it("escapes a malicious item name in the HTML but keeps it verbatim in the text part", () => {
    const name = `<script>alert("x")</script> & <b>Co</b>`;
    const data = order("USD", 1, [{ name, sku: "X", quantity: 1, unitPrice: 1 }], "Ana <b>");
    const message = store.render("thank-you", "email", "en", data);
    expect(message.html).not.toContain("<script>");
    expect(message.html).toContain(
      "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;Co&lt;/b&gt;",
    );
    expect(message.html).toContain("Hi Ana &lt;b&gt;,");
    expect(message.text).toContain(name);
    expect(message.subject).toBe("Thank you for your order, Ana <b>!");
  });

  it("keeps the subject on one line even when data holds line breaks", () => {
    const data = order("USD", 1, [{ sku: "X", quantity: 1, unitPrice: 1 }], "Ana\r\nBcc: evil@example.com");
    expect(store.render("thank-you", "email", "en", data).subject).toBe(
      "Thank you for your order, Ana Bcc: evil@example.com!",
    );
  });

  it("builds a table-based layout with the brand, a preheader and an unsubscribe link", () => {
    const message = store.render(
      "thank-you",
      "email",
      "en",
      order("USD", 1, [{ sku: "X", quantity: 1, unitPrice: 1 }]),
    );
    const html = message.html ?? "";
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<table role="presentation"');
    expect(html).toContain("<title>Thank you for your order, Ana!</title>");
    expect(html).toContain("Order A-1042 is in, and we&#x27;re already getting it ready.");
    expect(html).toContain('<a href="https://kopikita.example/u/abc"');
    expect(html).toContain(">Kopi Kita</a>");
    expect(message.text).toContain("Unsubscribe from these emails: https://kopikita.example/u/abc");
  });

  it("leaves the unsubscribe link out when there is no unsubscribe URL", () => {
    const data = { ...order("USD", 1, [{ sku: "X", quantity: 1, unitPrice: 1 }]), unsubscribeUrl: undefined };
    const message = store.render("thank-you", "email", "pl", data);
    expect(message.html).not.toContain("Wypisz się");
    expect(message.text).not.toContain("Wypisz się");
  });
});

describe("thank-you on chat channels", () => {
  const data = order("IDR", 150000, [{ name: "Kopi", sku: "K", quantity: 3, unitPrice: 50000 }]);

  it("uses the shared chat template for every chat channel, as plain text", () => {
    for (const channel of ["telegram", "discord", "x", "webchat"] as const) {
      const message = store.render("thank-you", channel, "id", data);
      expect(message).toMatchObject({ channel, locale: "id", template: "thank-you" });
      expect(message.subject).toBeUndefined();
      expect(message.html).toBeUndefined();
      expect(plain(message.text)).toContain("3 produk, total Rp 150.000");
    }
  });

  it("stays short enough for a post on X", () => {
    for (const locale of ["en", "id", "pl"]) {
      expect(store.render("thank-you", "x", locale, data).text.length).toBeLessThan(280);
    }
  });
});
