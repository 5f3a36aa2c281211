/**
 * RFM refresh benchmark: `refreshRfm()` (campaigns/segment/rfm-refresh.ts, the money SQL of segments) against a
 * hand-written NTILE query of the same meaning (refunds joined once per order instead of a correlated
 * subquery, ntile(5) instead of rank-based quintiles), both rebuilding CustomerRfm in one transaction, in the
 * same run, alternating, median of several runs. Not a test: it prints the ratio and writes it to
 * bench/results/rfm-<timestamp>.json.
 *
 *   npx tsx bench/rfm.ts                                   # 100 000 customers, 500 000 events, 3 runs
 *   RFM_BENCH_CUSTOMERS=1000000 RFM_BENCH_EVENTS=5000000 npx tsx bench/rfm.ts
 *
 * RFM_BENCH_RUNS sets the runs (default 3). Needs PostgreSQL and Redis as bench/run.ts does (bench/scratch.ts).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import type { MoneyContext } from "../campaigns/index.ts";
import { RFM_WINDOW_DAYS, rfmMapRows } from "../campaigns/segment/rfm-map.ts";
import { refreshRfm } from "../campaigns/segment/rfm-refresh.ts";
import { createScratch, type Scratch } from "./scratch.ts";

const CUSTOMERS = Number(process.env.RFM_BENCH_CUSTOMERS ?? 100_000);
const EVENTS = Number(process.env.RFM_BENCH_EVENTS ?? CUSTOMERS * 5);
const RUNS = Number(process.env.RFM_BENCH_RUNS ?? 3);
const NOW = new Date("2026-12-07T03:00:00Z");
const MONEY: MoneyContext = { base: "EUR", rates: { EUR: "1", PLN: "0.23", IDR: "0.000058" } };
const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * Customers `md5('c' || n)`; purchases spread over them by a multiplicative hash, over the last 500 days
 * (~27 % before the window), 70 % EUR, 20 % PLN, 10 % IDR; every 20th purchase refunded, every 40th in full.
 * Events are purchases and refunds: purchases = events / 1.05.
 */
async function seed(sql: pg.Client): Promise<{ purchases: number; refunds: number }> {
  const purchases = Math.round(EVENTS / 1.05);
  const refunds = Math.floor(purchases / 20);
  const now = NOW.toISOString();
  await sql.query(`INSERT INTO "Customer" (id, name, "updatedAt")
    SELECT md5('c' || n)::uuid, 'customer ' || n, now() FROM generate_series(1, ${CUSTOMERS}) n`);
  const customerOf = (g: string) => `md5('c' || (1 + (${g}::bigint * 7919) % ${CUSTOMERS}))::uuid`;
  const amountOf = (g: string) =>
    `(CASE ${g} % 10 WHEN 0 THEN 100000 + (${g} * 7) % 900000 ELSE 1 + (${g} * 13) % 50000 / 100.0 END)`;
  const currencyOf = (g: string) =>
    `(CASE ${g} % 10 WHEN 0 THEN 'IDR' WHEN 1 THEN 'PLN' WHEN 2 THEN 'PLN' ELSE 'EUR' END)`;
  const atOf = (g: string) =>
    `('${now}'::timestamp - ((${g} * 37) % 500) * interval '1 day' - (${g} % 86400) * interval '1 second')`;
  await sql.query(`INSERT INTO "Event" (id, "customerId", type, "externalId", value, currency, "occurredAt")
    SELECT gen_random_uuid(), ${customerOf("g")}, 'purchase', 'o' || g, ${amountOf("g")}, ${currencyOf("g")}, ${atOf("g")}
    FROM generate_series(1, ${purchases}) g`);
  await sql.query(`INSERT INTO "Event" (id, "customerId", type, "externalId", value, currency, properties, "occurredAt")
    SELECT gen_random_uuid(), ${customerOf("g")}, 'refund', 'r' || g,
      ${amountOf("g")} / (CASE WHEN g % 40 = 0 THEN 1 ELSE 2 END), ${currencyOf("g")},
      jsonb_build_object('orderId', 'o' || g), ${atOf("g")} + interval '1 day'
    FROM generate_series(20, ${purchases}, 20) g`);
  await sql.query(`UPDATE "Customer" c SET "lastPurchaseAt" = m.last
    FROM (SELECT "customerId", max("occurredAt") AS last FROM "Event" WHERE type = 'purchase' GROUP BY 1) m
    WHERE c.id = m."customerId"`);
  await sql.query("VACUUM ANALYZE");
  return { purchases, refunds };
}

/** The same rebuild written by hand, as one would without our money SQL: refunds grouped once, ntile(5). */
function handWritten(): string {
  const since = new Date(NOW.getTime() - RFM_WINDOW_DAYS * 86_400_000).toISOString().slice(0, -1);
  const now = NOW.toISOString().slice(0, -1);
  const rates = Object.entries(MONEY.rates)
    .map(([code, rate]) => `('${code}', ${rate}::numeric)`)
    .join(", ");
  const map = rfmMapRows()
    .map((row) => `(${row.recency}, ${row.fm}, '${row.segment}')`)
    .join(", ");
  return `INSERT INTO "CustomerRfm" ("customerId", recency, frequency, monetary, segment, "computedAt")
    WITH refunded AS (
      SELECT "customerId", properties ->> 'orderId' AS order_id, sum(value) AS amount
      FROM "Event" WHERE type = 'refund' GROUP BY 1, 2
    ), ev AS (
      SELECT e."customerId" AS id, e."occurredAt" AS at,
        (e.type = 'purchase' AND NOT COALESCE(f.amount >= COALESCE(e.value, 0), false)) AS kept,
        (CASE WHEN e.type = 'purchase' THEN e.value ELSE -e.value END) * r.rate AS base
      FROM "Event" e
      LEFT JOIN refunded f ON e.type = 'purchase' AND f."customerId" = e."customerId" AND f.order_id = e."externalId"
      LEFT JOIN (VALUES ${rates}) AS r(currency, rate) ON r.currency = e.currency
      WHERE e.type IN ('purchase', 'refund') AND e."occurredAt" > '${since}' AND e."occurredAt" <= '${now}'
    ), agg AS (
      SELECT id, max(at) FILTER (WHERE kept) AS last, count(*) FILTER (WHERE kept) AS orders,
        COALESCE(sum(base), 0) AS net
      FROM ev GROUP BY id HAVING count(*) FILTER (WHERE kept) > 0
    ), scored AS (
      SELECT id, ntile(5) OVER (ORDER BY last) AS r, ntile(5) OVER (ORDER BY orders) AS f,
        ntile(5) OVER (ORDER BY net) AS m
      FROM agg
    )
    SELECT s.id, s.r, s.f, s.m, map.segment, '${now}'::timestamp
    FROM scored s JOIN (VALUES ${map}) AS map(r, fm, segment) ON map.r = s.r AND map.fm = (s.f + s.m + 1) / 2
    UNION ALL
    SELECT c.id, NULL, NULL, NULL, 'lost', '${now}'::timestamp FROM "Customer" c
    WHERE c."lastPurchaseAt" IS NOT NULL AND c."mergedIntoId" IS NULL AND NOT EXISTS (SELECT 1 FROM agg a WHERE a.id = c.id)`;
}

async function timeHand(sql: pg.Client): Promise<number> {
  const started = performance.now();
  await sql.query("BEGIN");
  await sql.query('DELETE FROM "CustomerRfm"');
  await sql.query(handWritten());
  await sql.query("COMMIT");
  return performance.now() - started;
}

async function timeOurs(scratch: Scratch): Promise<{ ms: number; buyers: number }> {
  const started = performance.now();
  const summary = await refreshRfm(scratch.db, MONEY, NOW);
  return { ms: performance.now() - started, buyers: summary.buyers };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

let cleanup: (() => Promise<void>) | undefined;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    void (cleanup?.() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

const scratch = await createScratch((c) => {
  cleanup = c;
});
try {
  console.log(
    `seeding ${CUSTOMERS.toLocaleString("en")} customers and ~${EVENTS.toLocaleString("en")} events…`,
  );
  const seedStarted = performance.now();
  const seeded = await seed(scratch.sql);
  const seedMs = performance.now() - seedStarted;
  console.log(
    `seeded in ${(seedMs / 1000).toFixed(1)} s: ${seeded.purchases} purchases, ${seeded.refunds} refunds`,
  );
  // one warm-up of each: caches and plans, not measured
  await timeOurs(scratch);
  await timeHand(scratch.sql);
  const ours: number[] = [];
  const hand: number[] = [];
  let buyers = 0;
  for (let run = 1; run <= RUNS; run++) {
    const first = run % 2 === 1;
    if (!first) hand.push(await timeHand(scratch.sql));
    const measured = await timeOurs(scratch);
    ours.push(measured.ms);
    buyers = measured.buyers;
    if (first) hand.push(await timeHand(scratch.sql));
    console.log(
      `run ${run}: ours ${(ours.at(-1)! / 1000).toFixed(2)} s, hand-written ${(hand.at(-1)! / 1000).toFixed(2)} s`,
    );
  }
  const ratio = median(ours) / median(hand);
  const result = {
    at: new Date().toISOString(),
    customers: CUSTOMERS,
    events: seeded.purchases + seeded.refunds,
    buyers,
    runs: RUNS,
    seedMs: Math.round(seedMs),
    oursMs: ours.map(Math.round),
    handMs: hand.map(Math.round),
    medianOursMs: Math.round(median(ours)),
    medianHandMs: Math.round(median(hand)),
    ratio: Number(ratio.toFixed(3)),
  };
  console.log(
    `\nRFM refresh over ${CUSTOMERS.toLocaleString("en")} customers / ${result.events.toLocaleString("en")} events ` +
      `(${buyers.toLocaleString("en")} buyers): ours ${(result.medianOursMs / 1000).toFixed(2)} s, ` +
      `hand-written NTILE ${(result.medianHandMs / 1000).toFixed(2)} s, ratio ${result.ratio} (target ≤ 1.2)`,
  );
  const dir = path.join(HERE, "results");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `rfm-${result.at.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`written to ${path.relative(process.cwd(), file)}`);
} finally {
  await scratch.cleanup();
}
