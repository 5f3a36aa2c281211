import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { formatCount, formatMoney, formatPercent, formatPeriod, plural } from "../../cli/format.ts";
import { createStyle } from "../../cli/output.ts";
import { renderTable } from "../../cli/table.ts";

describe("renderTable", () => {
  it("aligns columns, numbers to the right, with a rule above the total, whatever the colours", () => {
    const style = createStyle(true);
    const table = renderTable(
      [{ header: "channel" }, { header: "customers", align: "right" }],
      [
        [style.green("email"), formatCount(1234)],
        ["telegram", formatCount(7)],
      ],
      { footer: [["total", formatCount(1241)]] },
    );
    const plain = stripVTControlCharacters(table);
    expect(plain).toBe(
      [
        "  channel   customers",
        "  email         1,234",
        "  telegram          7",
        "  -------------------",
        "  total         1,241",
        "",
      ].join("\n"),
    );
  });
});

describe("formatting", () => {
  it("formats counts, percents, money in each currency's own digits, and periods, in English", () => {
    expect(formatCount(1234567)).toBe("1,234,567");
    expect(formatPercent(0.12345)).toBe("12.3%");
    expect(formatPercent(null)).toBe("–");
    expect(
      formatMoney([
        { currency: "PLN", amount: "1234.5" },
        { currency: "IDR", amount: "530000" },
        { currency: null, amount: "3" },
      ]),
    ).toBe("PLN 1,234.50 + IDR 530,000 + 3.00");
    expect(formatMoney([])).toBe("–");
    expect(formatPeriod(60 * 86_400_000)).toBe("60 days");
    expect(formatPeriod(14 * 86_400_000)).toBe("2 weeks");
    expect(formatPeriod(90 * 60_000)).toBe("90 minutes");
    expect(plural(1, "error")).toBe("1 error");
    expect(plural(2, "error")).toBe("2 errors");
  });
});
