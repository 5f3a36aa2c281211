import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { compileCampaign } from "../../campaigns/index.ts";
import { renderCoupons } from "../../cli/campaigns-status.ts";
import { couponWarnings } from "../../cli/coupon-warnings.ts";
import { COUPON_CSV_COLUMNS, couponsCsv } from "../../cli/coupons.ts";
import { campaignDetail } from "../../console/campaigns/detail.ts";
import { couponFor } from "../../workers/coupons.ts";
import { couponResults, couponsOf } from "../../workers/index.ts";
import { useTestDatabase } from "../support/db.ts";

const database = useTestDatabase();

const SOURCE = `id: promo
name: Promo
trigger: { event: purchase }
channels: [email]
message:
  template: win-back
  data: { discount: 10, coupon: unique(PROMO10) }
`;

describe("rapport coupons export", () => {
  it("writes every code of the prefix as CSV, quoted where a field needs it, with its customer and redemption", async () => {
    const odd = await database.db.customer.create({ data: { email: '"o,dd"@example.com' } });
    const plain = await database.db.customer.create({ data: { email: "plain@example.com" } });
    const other = await database.db.customer.create({ data: { email: "other@example.com" } });
    const first = await couponFor(database.db, {
      prefix: "EXPORT5",
      customerId: odd.id,
      campaignId: "promo",
    });
    const second = await couponFor(database.db, {
      prefix: "EXPORT5",
      customerId: plain.id,
      campaignId: "promo",
    });
    await couponFor(database.db, { prefix: "ELSE", customerId: other.id, campaignId: "promo" });
    await database.db.coupon.update({
      where: { code: second },
      data: { redeemedAt: new Date("2026-12-01T10:00:00Z"), redeemedOrderId: "shopify:1001" },
    });
    const csv = couponsCsv(await couponsOf(database.db, "export5"));
    expect(csv.split("\n")[0]).toBe(COUPON_CSV_COLUMNS.join(","));
    expect(csv).toContain('"""o,dd""@example.com"');
    const rows = parse(csv, { columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => r.code).sort()).toEqual([first, second].sort());
    const byCode = new Map(rows.map((r) => [r.code, r]));
    expect(byCode.get(first)).toMatchObject({
      prefix: "EXPORT5",
      campaign: "promo",
      email: '"o,dd"@example.com',
      redeemed_at: "",
      order: "",
    });
    expect(byCode.get(second)).toMatchObject({
      email: "plain@example.com",
      redeemed_at: "2026-12-01T10:00:00.000Z",
      order: "shopify:1001",
    });
  });
});

describe("campaigns validate and unique() codes", () => {
  it("warns at the unique() value that codes must be loaded by hand when no shop is connected", () => {
    const campaign = compileCampaign(SOURCE, "promo.yaml");
    const warnings = couponWarnings(campaign, SOURCE, "promo.yaml", false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ file: "promo.yaml", line: 7, col: 33 });
    expect(warnings[0]!.message).toContain("rapport coupons export PROMO10");
  });

  it("with a shop connected, warns only about a prefix without a coupons: declaration", () => {
    const campaign = compileCampaign(SOURCE, "promo.yaml");
    expect(couponWarnings(campaign, SOURCE, "promo.yaml", true)[0]!.message).toContain(
      "no coupons.PROMO10 declaration",
    );
    const declared = `${SOURCE}coupons:\n  PROMO10: { amount: "5.00" }\n`;
    expect(couponWarnings(compileCampaign(declared, "promo.yaml"), declared, "promo.yaml", true)).toEqual([]);
  });
});

describe("campaign results of codes", () => {
  it("counts codes sent and redeemed and the redeeming orders' revenue per currency, and messages waiting for the shop", async () => {
    await database.db.campaign.create({ data: { id: "results", name: "Results" } });
    const customers = await database.db.customer.createManyAndReturn({
      data: ["a", "b", "c"].map((n) => ({ name: n })),
    });
    const codes = [];
    for (const c of customers)
      codes.push(
        await couponFor(database.db, { prefix: "RESULTS", customerId: c.id, campaignId: "results" }),
      );
    const statuses = ["sent", "sent", "queued"] as const;
    for (const [i, c] of customers.entries())
      await database.db.delivery.create({
        data: {
          key: `results/${c.id}`,
          campaignId: "results",
          customerId: c.id,
          channel: "email",
          status: statuses[i]!,
          ...(i === 2 && { reason: "waiting_for_shop", error: "Shopify answered 503 Service Unavailable" }),
        },
      });
    const orders = [
      { currency: "PLN", value: "120.50" },
      { currency: "IDR", value: "450000" },
    ];
    for (const [i, order] of orders.entries()) {
      const event = await database.db.event.create({
        data: {
          customerId: customers[i]!.id,
          type: "purchase",
          externalId: `shopify:results-${i}`,
          value: order.value,
          currency: order.currency,
          occurredAt: new Date(),
        },
      });
      await database.db.coupon.update({
        where: { code: codes[i]! },
        data: { redeemedAt: new Date(), redeemedEventId: event.id, redeemedOrderId: event.externalId },
      });
    }
    const results = await couponResults(database.db, "results");
    expect(results).toMatchObject({
      codes: 3,
      sent: 2,
      redeemed: 2,
      waiting: 1,
      waitingError: "Shopify answered 503 Service Unavailable",
    });
    expect(results.revenue).toEqual([
      { currency: "IDR", amount: "450000.00" },
      { currency: "PLN", amount: "120.50" },
    ]);
    const text = renderCoupons(results);
    expect(text).toContain("Codes: 2 sent, 2 redeemed, revenue ");
    expect(text).toContain("Waiting for the shop (waiting_for_shop): 1: Shopify answered 503");
    // the console's campaign page reads the same numbers
    expect((await campaignDetail(database.db, "results"))?.coupons).toMatchObject({
      sent: 2,
      redeemed: 2,
      waiting: 1,
    });
  });
});
