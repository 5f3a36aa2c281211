import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { expiredPoints } from "../../bots/loyalty-expiry.ts";
import { compileLoyaltyRules, loadCampaigns, pointsFor, tierFor, tierNames } from "../../campaigns/index.ts";
import { checkCampaignFiles } from "../../cli/campaigns-files.ts";
import { createTemplateStore } from "../../templates/index.ts";

const SHIPPED = path.resolve(import.meta.dirname, "../../campaigns/loyalty.yaml");

function compile(source: string) {
  return compileLoyaltyRules(source, "loyalty.yaml");
}

describe("loyalty.yaml", () => {
  it("ships a default programme that compiles: rupiah, złoty, bonuses, expiry and three tiers", () => {
    const { rules, issues } = compile(readFileSync(SHIPPED, "utf8"));
    expect(issues).toEqual([]);
    expect(rules!.earn.IDR).toEqual({ points: 1, per: "10000" });
    expect(rules!.expiryMonths).toBe(12);
    expect(tierNames(rules)).toEqual(["bronze", "silver", "gold"]);
    expect(pointsFor(rules!, "45000", "IDR")).toBe(4);
    expect(pointsFor(rules!, "120.50", "pln")).toBe(120);
    expect(pointsFor(rules!, "100", "JPY")).toBe(0);
  });

  it("names every mistake at file:line:col with what was expected", () => {
    const { rules, issues } = compile(
      [
        "earn:",
        "  IDR: 1 per ten",
        "  pln: 1 per 1",
        "bonus:",
        "  purchase: 5",
        "expire_after_months: -1",
        "tiers:",
        "  by: spend",
        "  levels: { bronze: 0, silver: 0 }",
        "extra: 1",
      ].join("\n"),
    );
    expect(rules).toBeUndefined();
    expect(issues.map((i) => `${i.line}:${i.col} ${i.message}`)).toEqual([
      '2:8 earn.IDR: expected points per amount of the currency, like "1 per 10000" (1 point per Rp 10 000), got "1 per ten"',
      "3:8 earn.pln: 'pln': expected a currency code in capitals, like IDR",
      "5:13 bonus.purchase: purchase cannot be a bonus event: purchases earn by earn:, refunds take back, tier changes would loop",
      "6:22 expire_after_months: expected months after which earned points expire (0: never): a whole number from 0 to 120, got -1",
      "9:32 tiers.levels.silver: silver starts where bronze does (0): give each tier its own start",
      "10:1 unknown key 'extra': expected one of earn, bonus, expire_after_months, tiers",
    ]);
    expect(issues.every((i) => i.file === "loyalty.yaml")).toBe(true);
  });

  it("reports broken YAML at its position", () => {
    const { issues } = compile("earn:\n  IDR: [1 per 10000\n");
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toMatch(/^invalid YAML/);
    expect(issues[0]!.line).toBeGreaterThanOrEqual(2);
  });

  it("is checked by campaigns validate and is not loaded as a campaign", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "loyalty-"));
    const file = path.join(dir, "loyalty.yaml");
    writeFileSync(file, "earn:\n  PLN: 1 per 0\n");
    const checked = await checkCampaignFiles([file], {
      templates: { store: createTemplateStore(), display: "templates" },
    });
    expect(checked.issues.map((i) => [path.basename(i.file), i.line, i.col])).toEqual([
      ["loyalty.yaml", 2, 8],
    ]);
    expect(checked.issues[0]!.message).toContain(
      'expected at least 1 point per an amount above 0, got "1 per 0"',
    );
    const loaded = await loadCampaigns(dir);
    expect(loaded.campaigns).toEqual([]);
    expect(loaded.loyalty).toBeUndefined();
    expect(loaded.errors).toHaveLength(1);
    writeFileSync(file, "earn:\n  PLN: 2 per 1\n");
    const fixed = await loadCampaigns(dir);
    expect(fixed.errors).toEqual([]);
    expect(fixed.loyalty?.earn).toEqual({ PLN: { points: 2, per: "1" } });
  });

  it("refuses an audience comparing loyalty.tier with a name loyalty.yaml does not define, at audience:", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "loyalty-tiers-"));
    writeFileSync(
      path.join(dir, "loyalty.yaml"),
      "tiers:\n  by: points\n  levels: { bronze: 0, gold: 900 }\n",
    );
    const campaign = (audience: string) =>
      [
        "id: tier-promo",
        "name: Tier promo",
        "trigger: { event: purchase }",
        `audience: ${audience}`,
        "channels: [email]",
        "message: { template: thank-you }",
      ].join("\n");
    const file = path.join(dir, "tier-promo.yaml");
    const templates = { store: createTemplateStore(), display: "templates" };
    writeFileSync(file, campaign('loyalty.tier = "glod" or loyalty.tier in ["gold", "silver"]'));
    const checked = await checkCampaignFiles([file, path.join(dir, "loyalty.yaml")], { templates });
    expect(checked.issues.map((i) => `${i.line}:${i.col} ${i.message}`)).toEqual([
      '4:11 loyalty.tier "glod", "silver": not a tier of loyalty.yaml, expected one of bronze, gold',
    ]);
    writeFileSync(file, campaign('loyalty.tier in ["gold", "bronze"] and loyalty.points > 10'));
    expect((await checkCampaignFiles([file], { templates })).issues).toEqual([]);
  });

  it("puts a customer in the highest tier whose start they reach, none below the lowest", () => {
    const { rules } = compile("tiers:\n  by: spend\n  levels: { gold: 1000, silver: 250 }\n");
    expect(tierNames(rules)).toEqual(["silver", "gold"]);
    expect(tierFor(rules!, 249.99)).toBeNull();
    expect(tierFor(rules!, 250)).toBe("silver");
    expect(tierFor(rules!, 5000)).toBe("gold");
  });
});

describe("expiry (oldest points spent first)", () => {
  const at = (iso: string) => new Date(iso);
  const earn = (points: number, created: string, expires: string | null) => ({
    points,
    reason: "earn",
    createdAt: at(created),
    expiresAt: expires ? at(expires) : null,
  });
  const spend = (points: number, created: string) => ({
    points: -points,
    reason: "redeem",
    createdAt: at(created),
    expiresAt: null,
  });

  it("expires what is left of a lot at its expiry, after spending from the oldest lot", () => {
    const entries = [
      earn(100, "2025-01-01", "2026-01-01"),
      earn(50, "2025-06-01", "2026-06-01"),
      spend(120, "2025-07-01"),
    ];
    expect(expiredPoints(entries, at("2025-12-31"))).toBe(0);
    expect(expiredPoints(entries, at("2026-01-01"))).toBe(0);
    expect(expiredPoints(entries, at("2026-06-01"))).toBe(30);
  });

  it("never expires what was already spent, nor points without an expiry", () => {
    const entries = [
      earn(100, "2025-01-01", "2026-01-01"),
      spend(100, "2025-02-01"),
      earn(10, "2025-03-01", null),
    ];
    expect(expiredPoints(entries, at("2030-01-01"))).toBe(0);
  });

  it("lets later points pay a debt first (a refund after the points were spent)", () => {
    const entries = [spend(40, "2025-01-01"), earn(100, "2025-02-01", "2026-02-01")];
    expect(expiredPoints(entries, at("2026-03-01"))).toBe(60);
  });

  it("leaves expire entries out of the walk: they are what it computes", () => {
    const entries = [
      earn(100, "2025-01-01", "2026-01-01"),
      { points: -100, reason: "expire", createdAt: at("2026-01-02"), expiresAt: null },
    ];
    expect(expiredPoints(entries, at("2026-02-01"))).toBe(100);
  });
});
