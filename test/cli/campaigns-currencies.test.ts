import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { validateCommand } from "../../cli/campaigns-validate.ts";
import { manualClock } from "../../lib/clock.ts";
import { commandContext } from "./capture.ts";

const dir = mkdtempSync(path.join(tmpdir(), "rapport-currencies-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOW = manualClock(Date.UTC(2026, 11, 7, 12));

function folder(name: string, files: Record<string, string>): string {
  const at = path.join(dir, name);
  mkdirSync(at);
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(at, file), text);
  return at;
}

describe("rapport campaigns validate with currencies.yaml", () => {
  it("warns of a stale rate and of a currency segments name without a rate, and passes", async () => {
    const at = folder("warned", {
      "currencies.yaml": "base: EUR\nrates:\n  PLN: { rate: 0.23, date: 2026-08-01 }\n",
      "segments.yaml": 'us: total_spent("USD") > 10\nbig: total_spent > 100 EUR\n',
    });
    const ctx = commandContext({}, NOW);
    expect(await validateCommand(ctx, [at])).toBe(0);
    const lines = ctx.out.stdout.text.split("\n");
    expect(lines.filter((line) => line.includes("warning:"))).toEqual([
      `${path.join(at, "currencies.yaml")}:1:1: warning: no rate for USD: orders in USD do not count toward total_spent in EUR; add it under rates, like USD: { rate: 0.23, date: 2026-12-01 }`,
      `${path.join(at, "currencies.yaml")}:3:28: warning: rates.PLN: the rate is 128 days old (from 2026-08-01): update it, or PLN totals drift`,
    ]);
  });

  it("fails on a broken currencies.yaml, never read as a campaign, and on a bare number against money", async () => {
    const at = folder("broken", {
      "currencies.yaml": "base: EUR\nrates:\n  PLN: { rate: 0.23 }\n",
      "segments.yaml": "vip: total_spent > 500\n",
    });
    const ctx = commandContext({ RAPPORT_BASE_CURRENCY: "EUR" }, NOW);
    expect(await validateCommand(ctx, [at])).toBe(1);
    const text = ctx.out.stdout.text;
    expect(text).toContain(
      `${path.join(at, "currencies.yaml")}:3:8: missing key 'date' in rates.PLN: expected the date the rate was taken`,
    );
    expect(text).toContain(
      `${path.join(at, "segments.yaml")}:1:20: vip: total_spent is money in the base currency EUR: write 500 EUR, or total_spent("PLN") > 500 for one currency`,
    );
    expect(text).toMatch(/^0 campaigns ok/m);
    expect(text).toMatch(/currencies\.yaml with 1 error, .*segments\.yaml with 1 error\n$/);
  });
});
