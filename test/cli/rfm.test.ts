import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../support/db.ts";
import { type CliRun, runRapport } from "../support/process.ts";

const workDir = mkdtempSync(path.join(tmpdir(), "rapport-rfm-"));
const database = useTestDatabase();
const AT = "2026-12-07T12:00:00.000Z";
const DAY = 86_400_000;

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/*
 * Five buyers: buyer k bought k times, the last (6 − k) × 10 days ago, k × 100 EUR in all. With 5 buyers the
 * k-th scores k on every axis (1 + floor(5 × (k − 1) / 4)): lost, hibernating, need_attention, loyal,
 * champions. One more bought 400 days ago only: lost, without scores.
 */
beforeAll(async () => {
  const at = new Date(AT).getTime();
  const buyers: Array<{ name: string; orders: Array<{ daysAgo: number; eur: number }> }> = [
    1, 2, 3, 4, 5,
  ].map((k) => ({
    name: `buyer ${k}`,
    orders: Array.from({ length: k }, (_, i) => ({ daysAgo: (6 - k) * 10 + i, eur: 100 })),
  }));
  buyers.push({ name: "lapsed", orders: [{ daysAgo: 400, eur: 50 }] });
  for (const buyer of buyers) {
    const customer = await database.db.customer.create({
      data: { name: buyer.name, lastPurchaseAt: new Date(at - buyer.orders[0]!.daysAgo * DAY) },
    });
    await database.db.event.createMany({
      data: buyer.orders.map((order, i) => ({
        customerId: customer.id,
        type: "purchase",
        externalId: `${buyer.name}-${i}`,
        value: order.eur.toFixed(2),
        currency: "EUR",
        occurredAt: new Date(at - order.daysAgo * DAY),
      })),
    });
  }
});

function rapport(args: string[]): Promise<CliRun> {
  return runRapport(args, {
    cwd: workDir,
    env: { DATABASE_URL: database.url, LOG_LEVEL: "warn", RAPPORT_CAMPAIGNS_DIR: workDir },
  });
}

describe("rapport rfm refresh", () => {
  it("rebuilds the scores and prints the summary and the distribution", async () => {
    const run = await rapport(["rfm", "refresh", "--at", AT]);
    expect(run.stderr).not.toMatch(/error|warning/i);
    expect(run.code).toBe(0);
    const [first, ...rest] = run.stdout.split("\n");
    expect(first).toMatch(
      /^RFM refreshed as of 2026-12-07 12:00 UTC in \d+(\.\d)? m?s: 5 buyers of the last 365 days scored, 1 earlier buyers lost \(no scores\); money in EUR\.$/,
    );
    expect(rest.join("\n")).toBe(
      [
        "",
        "  segment         customers  share",
        "  champions               1  16.7%",
        "  loyal                   1  16.7%",
        "  potential               0     0%",
        "  new                     0     0%",
        "  promising               0     0%",
        "  need_attention          1  16.7%",
        "  at_risk                 0     0%",
        "  cant_lose               0     0%",
        "  hibernating             1  16.7%",
        "  lost                    2  33.3%",
        "  --------------------------------",
        "  total                   6   100%",
        "",
      ].join("\n"),
    );
    const rows = await database.db.customerRfm.findMany({
      include: { customer: { select: { name: true } } },
    });
    expect(
      rows.map((r) => `${r.customer.name}: ${r.recency}${r.frequency}${r.monetary} ${r.segment}`).sort(),
    ).toEqual([
      "buyer 1: 111 lost",
      "buyer 2: 222 hibernating",
      "buyer 3: 333 need_attention",
      "buyer 4: 444 loyal",
      "buyer 5: 555 champions",
      "lapsed: nullnullnull lost",
    ]);
  });

  it("refuses a time it cannot read, saying how to write one", async () => {
    const run = await rapport(["rfm", "refresh", "--at", "yesterday"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("--at yesterday is not a time: write it like 2026-12-07T03:00:00Z");
  });
});
