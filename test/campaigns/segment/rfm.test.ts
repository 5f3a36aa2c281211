import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  compileAudience,
  loadSegmentFacts,
  noSegments,
  refreshRfm,
  rfmSegment,
} from "../../../campaigns/segment/index.ts";
import type { MoneyContext } from "../../../campaigns/segment/money.ts";
import { useTestDatabase } from "../../support/db.ts";

const database = useTestDatabase();
const NOW = new Date("2026-12-07T12:00:00.000Z");
const DAY = 86_400_000;
/** 1 PLN = 0.25 EUR; USD has no rate, so dollars count as orders but not as money. */
const MONEY: MoneyContext = { base: "EUR", rates: { EUR: "1", PLN: "0.25" } };

interface Order {
  daysAgo: number;
  amount: number;
  currency?: string;
  refunds?: number[];
}

/** `orders` orders: the first one `daysAgo` days ago worth `net` less 1 per other order, the others 1 EUR each, a day older each. */
function plain(daysAgo: number, orders: number, net: number): Order[] {
  return Array.from({ length: orders }, (_, i) => ({
    daysAgo: daysAgo + i,
    amount: i === 0 ? net - (orders - 1) : 1,
  }));
}

/*
 * 20 buyers of the last 365 days, scored by hand. A score is 1 + floor(5 × (rank − 1) / (n − 1)), at most 5,
 * with n = 20 buyers and rank the SQL RANK() ascending (ties share the lowest rank): 20 distinct values go
 * 4 per score (positions 0–3 → 1, 4–7 → 2, 8–11 → 3, 12–15 → 4, 16–19 → 5).
 *
 * Recency: c01 bought 10 days ago, c02 20, …, c20 200: c01–c04 → 5, c05–c08 → 4, c09–c12 → 3, c13–c16 → 2,
 *   c17–c20 → 1. c09 also bought yesterday, but refunded it in full: that order is not a purchase kept.
 * Frequency (ties): 8 buyers with 1 order → rank 1 → 1; 6 with 2 → rank 9 → 1 + floor(5 × 8/19) = 3;
 *   4 with 3 → rank 15 → 1 + floor(5 × 14/19) = 4; 2 with 5 → rank 19 → 1 + floor(5 × 18/19) = 5.
 * Monetary, net EUR in the window: 1000 900 800 700 → 5; 600 550 500 450 → 4; 400 350 300 250 → 3;
 *   200 150 120 100 → 2; 80 60 40 20 → 1. c05 paid 2 400 PLN (= 600 EUR); c06 500 + 20 EUR less a 70 EUR
 *   refund; c10 250 EUR and 300 USD (no rate); c11 also 5 000 EUR 500 days ago (outside the window).
 * Segment: the map in rfm-map.ts at R and FM = ceil((F + M) / 2).
 */
const BUYERS: Record<string, { orders: Order[]; r: number; f: number; m: number; segment: string }> = {
  c01: { orders: plain(10, 5, 1000), r: 5, f: 5, m: 5, segment: "champions" },
  c02: { orders: plain(20, 3, 800), r: 5, f: 4, m: 5, segment: "champions" },
  c03: { orders: plain(30, 2, 500), r: 5, f: 3, m: 4, segment: "champions" },
  c04: { orders: plain(40, 1, 200), r: 5, f: 1, m: 2, segment: "potential" },
  c05: {
    orders: [
      { daysAgo: 50, amount: 2398, currency: "PLN" },
      { daysAgo: 51, amount: 1, currency: "PLN" },
      { daysAgo: 52, amount: 1, currency: "PLN" },
    ],
    r: 4,
    f: 4,
    m: 4,
    segment: "loyal",
  },
  c06: {
    orders: [
      { daysAgo: 60, amount: 500, refunds: [70] },
      { daysAgo: 61, amount: 20 },
    ],
    r: 4,
    f: 3,
    m: 4,
    segment: "loyal",
  },
  c07: { orders: plain(70, 1, 150), r: 4, f: 1, m: 2, segment: "potential" },
  c08: { orders: plain(80, 1, 120), r: 4, f: 1, m: 2, segment: "potential" },
  c09: {
    orders: [...plain(90, 2, 400), { daysAgo: 1, amount: 999, refunds: [999] }],
    r: 3,
    f: 3,
    m: 3,
    segment: "need_attention",
  },
  c10: {
    orders: [
      { daysAgo: 100, amount: 250 },
      { daysAgo: 101, amount: 300, currency: "USD" },
    ],
    r: 3,
    f: 3,
    m: 3,
    segment: "need_attention",
  },
  c11: {
    orders: [...plain(110, 1, 100), { daysAgo: 500, amount: 5000 }],
    r: 3,
    f: 1,
    m: 2,
    segment: "need_attention",
  },
  c12: { orders: plain(120, 1, 80), r: 3, f: 1, m: 1, segment: "promising" },
  c13: { orders: plain(130, 5, 900), r: 2, f: 5, m: 5, segment: "cant_lose" },
  c14: { orders: plain(140, 3, 700), r: 2, f: 4, m: 5, segment: "cant_lose" },
  c15: { orders: plain(150, 2, 350), r: 2, f: 3, m: 3, segment: "at_risk" },
  c16: { orders: plain(160, 1, 60), r: 2, f: 1, m: 1, segment: "hibernating" },
  c17: { orders: plain(170, 3, 550), r: 1, f: 4, m: 4, segment: "at_risk" },
  c18: { orders: plain(180, 2, 300), r: 1, f: 3, m: 3, segment: "hibernating" },
  c19: { orders: plain(190, 1, 40), r: 1, f: 1, m: 1, segment: "lost" },
  c20: { orders: plain(200, 1, 20), r: 1, f: 1, m: 1, segment: "lost" },
};

/** Bought only 400 days ago (lapsed), never bought (none), or only an order refunded in full (refunded). */
const OTHERS: Record<string, Order[]> = {
  lapsed: [{ daysAgo: 400, amount: 50 }],
  none: [],
  refunded: [{ daysAgo: 5, amount: 70, refunds: [70] }],
};

const idOf = new Map<string, string>();
const labelOf = new Map<string, string>();

async function insert(label: string, orders: Order[]): Promise<void> {
  const id = randomUUID();
  idOf.set(label, id);
  labelOf.set(id, label);
  const last = orders.length ? Math.min(...orders.map((o) => o.daysAgo)) : undefined;
  await database.db.customer.create({
    data: {
      id,
      name: label,
      lastPurchaseAt: last === undefined ? null : new Date(NOW.getTime() - last * DAY),
    },
  });
  for (const [i, order] of orders.entries()) {
    const at = NOW.getTime() - order.daysAgo * DAY;
    const externalId = `${label}-${i}`;
    const currency = order.currency ?? "EUR";
    await database.db.event.create({
      data: {
        customerId: id,
        type: "purchase",
        externalId,
        value: order.amount.toFixed(2),
        currency,
        occurredAt: new Date(at),
      },
    });
    for (const [j, refund] of (order.refunds ?? []).entries()) {
      await database.db.event.create({
        data: {
          customerId: id,
          type: "refund",
          externalId: `${externalId}-r${j}`,
          value: refund.toFixed(2),
          currency,
          properties: { orderId: externalId },
          occurredAt: new Date(at + 3_600_000),
        },
      });
    }
  }
}

beforeAll(async () => {
  for (const [label, spec] of Object.entries(BUYERS)) await insert(label, spec.orders);
  for (const [label, orders] of Object.entries(OTHERS)) await insert(label, orders);
});

async function rows() {
  const all = await database.db.customerRfm.findMany();
  return new Map(all.map((row) => [labelOf.get(row.customerId)!, row]));
}

describe("RFM refresh", () => {
  it("scores the 20 buyers by quintile as computed by hand, and files them by the map", async () => {
    const summary = await refreshRfm(database.db, MONEY, NOW);
    const byLabel = await rows();
    expect(byLabel.size).toBe(22);
    for (const [label, want] of Object.entries(BUYERS)) {
      const row = byLabel.get(label);
      expect({ label, r: row?.recency, f: row?.frequency, m: row?.monetary, segment: row?.segment }).toEqual({
        label,
        r: want.r,
        f: want.f,
        m: want.m,
        segment: want.segment,
      });
      expect(rfmSegment(want.r, want.f, want.m)).toBe(want.segment);
      expect(row?.computedAt).toEqual(NOW);
    }
    expect(summary).toEqual({
      computedAt: NOW,
      buyers: 20,
      lapsed: 2,
      segments: {
        champions: 3,
        loyal: 2,
        potential: 3,
        new: 0,
        promising: 1,
        need_attention: 3,
        at_risk: 2,
        cant_lose: 2,
        hibernating: 2,
        lost: 4,
      },
    });
  });

  it("files a customer who bought only before the window, or only refunded orders, as lost without scores", async () => {
    await refreshRfm(database.db, MONEY, NOW);
    const byLabel = await rows();
    for (const label of ["lapsed", "refunded"]) {
      const row = byLabel.get(label);
      expect({ label, r: row?.recency, f: row?.frequency, m: row?.monetary, segment: row?.segment }).toEqual({
        label,
        r: null,
        f: null,
        m: null,
        segment: "lost",
      });
    }
    expect(byLabel.has("none")).toBe(false);
  });

  it("replaces the previous scores: a later refresh moves everyone's window", async () => {
    await refreshRfm(database.db, MONEY, NOW);
    // 196 days on, the window starts 169 days before NOW: c17–c20 (170–200 days before NOW) drop out
    const later = new Date(NOW.getTime() + 196 * DAY);
    const summary = await refreshRfm(database.db, MONEY, later);
    const byLabel = await rows();
    expect(summary.buyers).toBe(16);
    expect(byLabel.get("c20")?.segment).toBe("lost");
    expect(byLabel.get("c20")?.recency).toBeNull();
    expect(byLabel.get("c16")?.recency).toBe(1);
    expect(byLabel.get("c01")?.computedAt).toEqual(later);
    expect(byLabel.size).toBe(22);
  });

  it("puts rfm.* in segments, the SQL and the predicate agreeing", async () => {
    await refreshRfm(database.db, MONEY, NOW);
    const segments = noSegments("segments.yaml", MONEY);
    const facts = await loadSegmentFacts(database.db, [...labelOf.keys()], NOW);
    expect(facts.size).toBe(labelOf.size);
    const members = async (expression: string) => {
      const audience = compileAudience(expression, segments);
      const found = await database.db.$queryRaw<Array<{ id: string }>>`
        SELECT c.id FROM "Customer" c WHERE ${audience.sql(NOW)}`;
      const bySql = found.map((row) => labelOf.get(row.id)!).sort();
      const byPredicate = [...facts].filter(([, f]) => audience.predicate(f)).map(([id]) => labelOf.get(id)!);
      expect(byPredicate.sort(), expression).toEqual(bySql);
      return bySql;
    };
    expect(await members('rfm.segment = "champions"')).toEqual(["c01", "c02", "c03"]);
    expect(await members('rfm.segment in ["cant_lose", "at_risk"] and rfm.frequency >= 4')).toEqual([
      "c13",
      "c14",
      "c17",
    ]);
    expect(await members("rfm.recency = 5 and rfm.monetary <= 2")).toEqual(["c04"]);
    expect(await members("rfm.segment is null")).toEqual(["none"]);
    expect(await members('rfm.segment = "lost" and rfm.recency is null')).toEqual(["lapsed", "refunded"]);
  });
});
