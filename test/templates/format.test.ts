import { describe, expect, it } from "vitest";
import { formatDate, formatMoney, formatNumber, formatPlural } from "../../templates/format.ts";

/** Intl separates amounts and symbols with no-break spaces; compare with ordinary ones for readability. */
const plain = (text: string) => text.replace(/[\u00a0\u202f]/g, " ");

describe("formatMoney", () => {
  it("shows whole rupiah without fraction digits in Indonesian", () => {
    expect(plain(formatMoney(150000, "IDR", "id"))).toBe("Rp 150.000");
  });

  it("shows zloty with a decimal comma after the amount in Polish", () => {
    expect(plain(formatMoney(199.99, "PLN", "pl"))).toBe("199,99 zł");
  });

  it("pads dollars to cents in English", () => {
    expect(formatMoney(42.5, "USD", "en")).toBe("$42.50");
    expect(formatMoney(12, "EUR", "en")).toBe("€12.00");
  });

  it("formats decimal strings exactly, without going through floating point", () => {
    expect(plain(formatMoney("199.99", "PLN", "pl"))).toBe("199,99 zł");
    expect(formatMoney("12345678901234.56", "USD", "en")).toBe("$12,345,678,901,234.56");
  });

  it("keeps the fraction of a non-whole amount in a currency without minor units", () => {
    expect(plain(formatMoney("150000.50", "IDR", "id"))).toBe("Rp 150.000,50");
    expect(plain(formatMoney("150000.00", "IDR", "id"))).toBe("Rp 150.000");
    expect(formatMoney(1200, "JPY", "en")).toBe("¥1,200");
  });

  it("accepts lower-case currency codes", () => {
    expect(formatMoney(1, "usd", "en")).toBe("$1.00");
  });

  it("explains what it expected for a bad amount or currency", () => {
    expect(() => formatMoney("12,50", "PLN", "pl")).toThrow(/decimal string like "199.99", got "12,50"/);
    expect(() => formatMoney(undefined, "PLN", "pl")).toThrow(/the field is missing/);
    expect(() => formatMoney(1, "złoty", "pl")).toThrow(/3-letter ISO code/);
  });
});

describe("formatPlural", () => {
  const produkt = { one: "# produkt", few: "# produkty", many: "# produktów", other: "# produktu" };

  it.each([
    [1, "1 produkt"],
    [2, "2 produkty"],
    [5, "5 produktów"],
    [22, "22 produkty"],
    [25, "25 produktów"],
    [12, "12 produktów"],
  ])("uses the Polish form for %i", (count, expected) => {
    expect(formatPlural(count, produkt, "pl")).toBe(expected);
  });

  it("uses one and other in English, and other for every count in Indonesian", () => {
    expect(formatPlural(1, { one: "# item", other: "# items" }, "en")).toBe("1 item");
    expect(formatPlural(3, { one: "# item", other: "# items" }, "en")).toBe("3 items");
    expect(formatPlural(1, { other: "# produk" }, "id")).toBe("1 produk");
  });

  it("formats the count with the locale's grouping", () => {
    expect(plain(formatPlural(15000, produkt, "pl"))).toBe("15 000 produktów");
  });

  it("falls back to other when a category is missing, and says which one when other is missing too", () => {
    expect(formatPlural(5, { one: "# produkt", other: "# produktu" }, "pl")).toBe("5 produktu");
    expect(() => formatPlural(5, { one: "# produkt" }, "pl")).toThrow(/no form for "many"/);
  });
});

describe("formatDate and formatNumber", () => {
  it("formats a date in the given timezone, which can change the day", () => {
    const late = "2024-03-05T20:00:00Z";
    expect(formatDate(late, "pl", { style: "long", timezone: "Asia/Jakarta" })).toBe("6 marca 2024");
    expect(formatDate(late, "en", { style: "long", timezone: "America/New_York" })).toBe("March 5, 2024");
    expect(formatDate(late, "id", { style: "long" })).toBe("5 Maret 2024");
  });

  it("rejects something that is not a date", () => {
    expect(() => formatDate("next tuesday", "en")).toThrow(/ISO 8601/);
  });

  it("groups digits the locale's way", () => {
    expect(formatNumber(1234.5, "en")).toBe("1,234.5");
    expect(formatNumber(1234.5, "id")).toBe("1.234,5");
  });
});
