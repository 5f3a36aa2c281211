import { beforeAll, describe, expect, it } from "vitest";
import { compileCampaign } from "../../campaigns/index.ts";
import { Prisma } from "../../lib/db/index.ts";
import { campaignList, campaignReport, shipCampaign } from "../../workers/index.ts";
import { useTestDatabase } from "../support/db.ts";

const database = useTestDatabase();

const AB = compileCampaign(
  `id: ab-test
name: A/B test
trigger: { event: purchase }
channels: [email]
message: { template: promo }
goal: { event: purchase, within: 7d }
variants:
  - { name: a, weight: 50 }
  - { name: b, weight: 50 }
holdout: 10
`,
  "ab-test.yaml",
);
const QUIET = compileCampaign(
  "id: quiet\nname: Quiet\ntrigger: { event: purchase }\nchannels: [email]\nmessage: { template: promo }\n",
  "quiet.yaml",
);

type Row = {
  variant: string | null;
  status: "planned" | "queued" | "sent" | "failed" | "suppressed" | "skipped";
  reason?: string;
  delivered?: boolean;
  opened?: boolean;
  clicked?: boolean;
  /** Converted with a purchase of this value and currency. */
  revenue?: [string, string];
};

let customerId: string;
let n = 0;

/** Writes Deliveries of a campaign as the engine would have left them. */
async function deliveries(campaignId: string, rows: Row[]): Promise<void> {
  for (const row of rows) {
    n++;
    const at = new Date("2026-11-01T10:00:00Z");
    const event = row.revenue
      ? await database.db.event.create({
          data: {
            customerId,
            type: "purchase",
            externalId: `order-${n}`,
            value: new Prisma.Decimal(row.revenue[0]),
            currency: row.revenue[1],
            occurredAt: at,
          },
        })
      : null;
    await database.db.delivery.create({
      data: {
        key: `d/${campaignId}/main/${customerId}/${n}`,
        campaignId,
        step: "main",
        variant: row.variant,
        customerId,
        channel: "email",
        status: row.status,
        reason: row.reason ?? null,
        ...(row.status === "sent" && { sentAt: at }),
        ...(row.delivered && { deliveredAt: at }),
        ...(row.opened && { openedAt: at }),
        ...(row.clicked && { clickedAt: at }),
        ...(event && { convertedAt: at, conversionEventId: event.id, revenue: event.value }),
      },
    });
  }
}

const times = (count: number, row: Row): Row[] => Array.from({ length: count }, () => row);

beforeAll(async () => {
  customerId = (await database.db.customer.create({ data: { email: "ana@example.com" } })).id;
  await shipCampaign(database.db, AB, "", { activate: true });
  await shipCampaign(database.db, { ...AB, name: "A/B test, edited", contentHash: "v2" }, "", {
    activate: true,
  });
  await shipCampaign(database.db, QUIET, "", { activate: true });
  await deliveries("ab-test", [
    ...times(4, { variant: "a", status: "sent", delivered: true }),
    {
      variant: "a",
      status: "sent",
      delivered: true,
      opened: true,
      clicked: true,
      revenue: ["100.50", "PLN"],
    },
    { variant: "a", status: "sent", delivered: true, opened: true, revenue: ["20.00", "USD"] },
    ...times(2, { variant: "a", status: "failed", reason: "invalid_recipient" }),
    { variant: "a", status: "failed", reason: "timeout" },
    { variant: "a", status: "queued" },
    ...times(3, { variant: "b", status: "sent" }),
    { variant: "b", status: "sent", revenue: ["50.00", "PLN"] },
    { variant: "b", status: "skipped", reason: "opted_out" },
    { variant: "b", status: "suppressed", reason: "unsubscribed" },
    ...times(3, { variant: "holdout", status: "skipped", reason: "holdout" }),
    { variant: "holdout", status: "skipped", reason: "holdout", revenue: ["10.00", "PLN"] },
  ]);
});

describe("campaignReport", () => {
  it("counts each variant's outcomes, conversions and revenue per currency", async () => {
    const report = (await campaignReport(database.db, "ab-test"))!;
    expect(report).toMatchObject({ id: "ab-test", name: "A/B test, edited", status: "active", version: 2 });
    expect(report.rows.map((r) => r.variant)).toEqual(["a", "b", "holdout"]);
    const [a, b] = report.rows;
    expect(a).toMatchObject({
      step: "main",
      total: 10,
      pending: 1,
      sent: 6,
      delivered: 6,
      opened: 2,
      clicked: 1,
      failed: 3,
      conversions: 2,
      revenue: [
        { currency: "PLN", amount: "100.50" },
        { currency: "USD", amount: "20.00" },
      ],
      failedBy: [
        { reason: "invalid_recipient", count: 2 },
        { reason: "timeout", count: 1 },
      ],
    });
    expect(a!.conversionRate).toBeCloseTo(2 / 6);
    expect(b).toMatchObject({
      sent: 4,
      conversions: 1,
      conversionRate: 0.25,
      skipped: 1,
      suppressed: 1,
      skippedBy: [{ reason: "opted_out", count: 1 }],
      suppressedBy: [{ reason: "unsubscribed", count: 1 }],
    });
  });

  it("measures the hold-out group against those held back, and leaves it out of the totals", async () => {
    const report = (await campaignReport(database.db, "ab-test"))!;
    const held = report.rows.find((r) => r.variant === "holdout")!;
    expect(held).toMatchObject({
      sent: 0,
      heldBack: 4,
      heldBackConversions: 1,
      conversionRate: 0.25,
      revenue: [{ currency: "PLN", amount: "10.00" }],
    });
    expect(report.totals).toMatchObject({
      total: 20,
      sent: 10,
      conversions: 3,
      conversionRate: 0.3,
      heldBack: 4,
      skipped: 5,
      failed: 3,
      revenue: [
        { currency: "PLN", amount: "150.50" },
        { currency: "USD", amount: "20.00" },
      ],
      skippedBy: [
        { reason: "holdout", count: 4 },
        { reason: "opted_out", count: 1 },
      ],
    });
  });

  it("reports a campaign without messages as zeros, and no such campaign as undefined", async () => {
    const report = (await campaignReport(database.db, "quiet"))!;
    expect(report.rows).toEqual([]);
    expect(report.totals).toMatchObject({ total: 0, sent: 0, conversionRate: null, revenue: [] });
    expect(await campaignReport(database.db, "nope")).toBeUndefined();
  });
});

describe("campaignList", () => {
  it("lists every campaign with its status, version and totals", async () => {
    await database.db.campaign.update({ where: { id: "quiet" }, data: { status: "paused" } });
    const list = await campaignList(database.db);
    expect(list.map(({ updatedAt: _, ...rest }) => rest)).toEqual([
      {
        id: "ab-test",
        name: "A/B test, edited",
        status: "active",
        version: 2,
        pending: 1,
        sent: 10,
        failed: 3,
        skipped: 5,
        conversions: 3,
      },
      {
        id: "quiet",
        name: "Quiet",
        status: "paused",
        version: 1,
        pending: 0,
        sent: 0,
        failed: 0,
        skipped: 0,
        conversions: 0,
      },
    ]);
  });
});
