/**
 * `npx tsx bench/console.ts`: server time of the staff console's pages on a big database. Seeds 100 000
 * customers and 1 000 000 interactions (plus conversations, purchase events with their lines, ratings,
 * campaign deliveries and suppressions) with set-based SQL (`generate_series`) in a scratch database of its
 * own, signs in, then times 20 requests per page through Fastify `inject` and prints the median and p95.
 * See bench/README.md, "Console pages".
 *
 * Options: `--customers N` and `--interactions N` (the size), `--keep` (keep the seeded database and print its
 * URL), `--database URL` (measure on a database a `--keep` run seeded, without seeding again: rename it first,
 * `ALTER DATABASE rapport_bench_… RENAME TO …`, as the next run drops leftover `rapport_bench_` databases),
 * `--only lookup` (only the pages whose name starts so), `--requests N` (per page, default 20),
 * `--without-dashboard-indexes`.
 */
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";
import type { FastifyInstance } from "fastify";
import pg from "pg";
import { compileSegments } from "../campaigns/index.ts";
import { registerLookupApi } from "../console/customers/lookup-api.ts";
import { createStaffUser, registerConsole } from "../console/index.ts";
import { createApiToken } from "../lib/api-tokens.ts";
import { manualClock } from "../lib/clock.ts";
import { createDb } from "../lib/db/index.ts";
import { createHttpServer } from "../lib/http.ts";
import { silentLogger } from "../lib/logger.ts";
import { segmentsOf } from "../workers/segments-of.ts";
import { table } from "./report.ts";
import { createScratch, type Scratch } from "./scratch.ts";

/** The bench's now: the dashboard's 30 days end here. */
const NOW = Date.parse("2026-12-04T10:30:00Z");
const NOW_SQL = "'2026-12-04 10:30:00'::timestamp";
const TARGET_MS = 100;
/** The lookup API's p95 target (issue 14): a screen pop must not wait. */
const LOOKUP_TARGET_MS = 20;
/** Untimed lookups by each key before the first timed one. */
const WARM_UP_LOOKUPS = 40;
const PASSWORD = "bench console password";

const { values: args } = parseArgs({
  options: {
    customers: { type: "string", default: "100000" },
    interactions: { type: "string", default: "1000000" },
    keep: { type: "boolean", default: false },
    database: { type: "string" },
    only: { type: "string" },
    requests: { type: "string", default: "20" },
    "without-dashboard-indexes": { type: "boolean", default: false },
  },
});
/** Requests per page (`--requests`): 20 by default; more give a steadier p95 (the 95th of 200 is not their maximum). */
const REQUESTS = Number(args.requests);
/** Drop the dashboard's indexes before measuring, to see what they bring. */
const WITHOUT_INDEXES = args["without-dashboard-indexes"];

/** The indexes migration 20261123143134_console_dashboard_indexes adds for the dashboard. */
const DASHBOARD_INDEXES = [
  "Interaction_sentAt_channel_direction_internal_idx",
  "Conversation_createdAt_idx",
  "Delivery_convertedAt_idx",
];
const CUSTOMERS = Number(args.customers);
/** Messages per conversation; half the customers have a conversation. */
const PER_CONVERSATION = Math.max(
  2,
  Math.round(Number(args.interactions) / Math.max(1, Math.floor(CUSTOMERS / 2))),
);

let scratch: Scratch | undefined;
let cleanup: (() => Promise<void>) | undefined;

async function step(label: string, sql: string): Promise<void> {
  const started = performance.now();
  const result = await scratch!.sql.query(sql);
  const rows = result.rowCount === null ? "" : `${result.rowCount.toLocaleString("en")} rows, `;
  console.log(`  ${label}: ${rows}${Math.round(performance.now() - started)} ms`);
}

/** The population, deterministic: every value derives from the customer's sequence number. */
async function seed(): Promise<void> {
  console.log(
    `seeding ${CUSTOMERS.toLocaleString("en")} customers, ~${(Math.floor(CUSTOMERS / 2) * PER_CONVERSATION).toLocaleString("en")} interactions`,
  );
  await step(
    "customers",
    `INSERT INTO "Customer" (name, email, phone, "externalId", locale, timezone, country, source, consent,
       attributes, "createdAt", "updatedAt")
     SELECT (ARRAY['Anna','Jan','Siti','Budi','Maria','Piotr','Dewi','Agus','Ewa','Tomasz','Putri','Rizky',
               'Olivia','James','Zofia','Adi'])[1 + i % 16] || ' ' ||
            (ARRAY['Kowalska','Nowak','Santoso','Wijaya','Smith','Lewandowski','Rahayu','Pratama','Brown',
               'Wiśniewska','Hidayat','Jones','Zielińska','Taylor'])[1 + (i / 16) % 14],
       CASE WHEN i % 12 <> 0 THEN 'customer' || i || '@example' || (i % 5) || '.com' END,
       CASE WHEN i % 5 < 3 THEN '+48' || lpad(i::text, 9, '0') END,
       CASE WHEN i % 4 <> 0 THEN 'shop-' || i END,
       (ARRAY['en','id','pl'])[1 + i % 3], (ARRAY['Europe/London','Asia/Jakarta','Europe/Warsaw'])[1 + i % 3],
       (ARRAY['GB','ID','PL'])[1 + i % 3],
       (ARRAY['instagram','facebook','google','tiktok','referral','import',NULL])[1 + i % 7],
       jsonb_build_object('email', jsonb_build_object('status', CASE WHEN i % 25 = 0 THEN 'denied' ELSE 'granted' END,
         'at', '2026-01-01T00:00:00Z')),
       jsonb_build_object('seq', i),
       ${NOW_SQL} - i * interval '10 minutes', ${NOW_SQL}
     FROM generate_series(${CUSTOMERS}, 1, -1) i`,
  );
  await step(
    "identities",
    `INSERT INTO "Identity" (channel, "externalId", "customerId", handle, "displayName")
     SELECT 'telegram'::"Channel", (1000000000 + (attributes->>'seq')::int)::text, id, 'user_' || (attributes->>'seq'), name
     FROM "Customer" WHERE (attributes->>'seq')::int % 5 < 2
     UNION ALL SELECT 'email'::"Channel", email, id, NULL, name FROM "Customer" WHERE email IS NOT NULL`,
  );
  await step(
    "conversations",
    `INSERT INTO "Conversation" ("customerId", channel, status, "createdAt", "lastMessageAt", "updatedAt", rating)
     SELECT id, CASE WHEN seq % 5 < 2 THEN 'telegram' ELSE 'webchat' END::"Channel",
       (ARRAY['open','pending','closed'])[1 + seq % 3]::"ConversationStatus", opened,
       opened + interval '2 hours', opened, CASE WHEN seq % 3 = 2 THEN 1 + seq % 5 END
     FROM (SELECT id, (attributes->>'seq')::int AS seq,
             ${NOW_SQL} - ((attributes->>'seq')::int * 7919 % 365) * interval '1 day'
               - ((attributes->>'seq')::int % 1440) * interval '1 minute' AS opened
           FROM "Customer") c
     WHERE seq % 2 = 0 ORDER BY opened`,
  );
  await step(
    "interactions",
    `INSERT INTO "Interaction" ("customerId", "conversationId", channel, direction, author, "externalId", text, "sentAt")
     SELECT c."customerId", c.id, c.channel,
       CASE WHEN k % 2 = 1 THEN 'inbound' ELSE 'outbound' END::"Direction",
       CASE WHEN k % 2 = 1 THEN 'customer'
            WHEN (k = 2 AND abs(hashtext(c.id::text)) % 10 < 7) OR k % 4 = 0 THEN 'staff' ELSE 'bot' END::"Author",
       c.id || ':' || k, 'message ' || k,
       c."createdAt" + k * (1 + abs(hashtext(c.id::text)) % 30) * interval '1 minute'
     FROM "Conversation" c CROSS JOIN generate_series(1, ${PER_CONVERSATION}) k
     ORDER BY 8`,
  );
  await step(
    "purchase events",
    `INSERT INTO "Event" ("customerId", type, "externalId", source, value, currency, "occurredAt")
     SELECT id, 'purchase', 'o-' || seq || '-' || k, 'shop',
       CASE seq % 3 WHEN 1 THEN ((seq * 37 + k * 11) % 500 + 10) * 1000 ELSE (seq * 37 + k * 11) % 500 + 10 END,
       (ARRAY['GBP','IDR','PLN'])[1 + seq % 3],
       least(${NOW_SQL} - interval '1 hour', "createdAt" + k * interval '20 days')
     FROM (SELECT id, "createdAt", (attributes->>'seq')::int AS seq FROM "Customer") c
     CROSS JOIN generate_series(1, 3) k WHERE seq % 3 <> 0 ORDER BY 7`,
  );
  await step(
    "purchase lines",
    `INSERT INTO "Purchase" ("eventId", "customerId", sku, name, quantity, "unitPrice", currency, "occurredAt")
     SELECT e.id, e."customerId", 'SKU-' || (abs(hashtext(e.id::text)) % 200 + l), 'Product ' || l, l,
       round(e.value / 3, 2), e.currency, e."occurredAt"
     FROM "Event" e CROSS JOIN generate_series(1, 2) l WHERE e.type = 'purchase' ORDER BY e."occurredAt"`,
  );
  await step(
    "rating events",
    `INSERT INTO "Event" ("customerId", type, "externalId", source, value, properties, "occurredAt")
     SELECT "customerId", 'rating', 'r-' || id, channel::text, rating, jsonb_build_object('score', rating),
       "createdAt" + interval '3 hours'
     FROM "Conversation" WHERE rating IS NOT NULL`,
  );
  await step(
    "campaigns",
    `INSERT INTO "Campaign" (id, name, status) VALUES
       ('bench-welcome', 'Welcome series', 'active'), ('bench-winback', 'Win back', 'active'),
       ('bench-promo', 'Autumn promo', 'paused')`,
  );
  await step(
    "deliveries",
    `INSERT INTO "Delivery" (key, "campaignId", step, variant, "customerId", channel, status, reason,
       "scheduledAt", "sentAt", "deliveredAt")
     SELECT 'd/' || camp || '/main/' || c.id || '/0', camp, 'main',
       CASE WHEN seq % 20 = 2 THEN 'holdout' WHEN seq % 2 = 0 THEN 'a' ELSE 'b' END, c.id,
       CASE WHEN seq % 5 < 2 THEN 'telegram' ELSE 'email' END::"Channel",
       (CASE seq % 20 WHEN 0 THEN 'failed' WHEN 1 THEN 'skipped' WHEN 2 THEN 'skipped' WHEN 3 THEN 'queued'
          ELSE 'sent' END)::"DeliveryStatus",
       CASE seq % 20 WHEN 0 THEN 'provider_rejected' WHEN 1 THEN 'opted_out' WHEN 2 THEN 'holdout' END,
       due, CASE WHEN seq % 20 >= 4 THEN due END,
       CASE WHEN seq % 20 >= 4 AND seq % 5 >= 2 AND seq % 7 <> 0 THEN due + interval '1 minute' END
     FROM (SELECT id, (attributes->>'seq')::int AS seq FROM "Customer") c
     CROSS JOIN LATERAL (VALUES ('bench-welcome'), ('bench-winback'), ('bench-promo')) AS x(camp)
     CROSS JOIN LATERAL (SELECT ${NOW_SQL} - ((seq * 31 + length(camp) * 7) % 120) * interval '1 day'
       - (seq % 1440) * interval '1 minute' AS due) d
     ORDER BY due`,
  );
  // fresh statistics first: the join below is planned badly on a table the planner thinks is empty
  await step("analyze deliveries and events", 'ANALYZE "Delivery", "Event", "Customer"');
  await step(
    "conversions",
    `UPDATE "Delivery" d SET "convertedAt" = d."scheduledAt" + interval '2 days', "conversionEventId" = e.id,
       revenue = e.value
     FROM "Customer" c, "Event" e
     WHERE d."customerId" = c.id AND e.type = 'purchase' AND e."externalId" = 'o-' || (c.attributes->>'seq') || '-1'
       AND d.status = 'sent' AND abs(hashtext(d.id::text)) % 12 = 0`,
  );
  await step(
    "suppressions",
    `INSERT INTO "Suppression" (channel, address, "customerId", reason)
     SELECT 'email'::"Channel", email, id, 'unsubscribed'::"SuppressionReason" FROM "Customer" WHERE email IS NOT NULL AND (attributes->>'seq')::int % 200 = 0`,
  );
  if (WITHOUT_INDEXES) {
    for (const name of DASHBOARD_INDEXES) await step(`drop index ${name}`, `DROP INDEX "${name}"`);
  }
  // what autovacuum keeps up on a live database: statistics and the visibility map (index-only scans)
  await step("vacuum analyze", "VACUUM ANALYZE");
}

/** Signs in like a browser; returns the session cookie. */
async function signIn(http: FastifyInstance, email: string): Promise<string> {
  const page = await http.inject({ url: "/console/login", headers: { accept: "text/html" } });
  const loginCookie = page.cookies.find((c) => c.name === "rapport_login_csrf")!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const response = await http.inject({
    method: "POST",
    url: "/console/login",
    headers: {
      accept: "text/html",
      "content-type": "application/x-www-form-urlencoded",
      cookie: `rapport_login_csrf=${loginCookie.value}`,
    },
    payload: new URLSearchParams({ email, password: PASSWORD, _csrf: csrf }).toString(),
  });
  const session = response.cookies.find((c) => c.name === "rapport_session");
  if (!session) throw new Error(`sign-in failed (${response.statusCode})`);
  return `rapport_session=${session.value}`;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;

/** Times `REQUESTS` GETs of `urls` (taken in turn) after two warm-up requests; `before` runs untimed first. */
/** Statements sent by every `pg` client of this process (Prisma's adapter and the bench's own). */
let statementsSent = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  statementsSent++;
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

async function measure(
  http: FastifyInstance,
  headers: Record<string, string>,
  urls: string[],
  before: () => void = () => {},
): Promise<{ median: number; p95: number; max: number; cpu: number; statements: number }> {
  const get = async (url: string) => {
    const response = await http.inject({ url, headers });
    if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode}`);
  };
  for (const url of urls.slice(0, 2)) await get(url);
  const times: number[] = [];
  // this process's CPU (the server's work: routing, Prisma, the driver): less moved by a busy machine than time
  const cpuBefore = process.cpuUsage();
  const statementsBefore = statementsSent;
  for (let i = 0; i < REQUESTS; i++) {
    before();
    const started = performance.now();
    await get(urls[i % urls.length]!);
    times.push(performance.now() - started);
  }
  const cpuUsed = process.cpuUsage(cpuBefore);
  times.sort((a, b) => a - b);
  return {
    median: percentile(times, 0.5),
    p95: percentile(times, 0.95),
    max: times[times.length - 1]!,
    cpu: (cpuUsed.user + cpuUsed.system) / 1000 / REQUESTS,
    statements: (statementsSent - statementsBefore) / REQUESTS,
  };
}

/** A database seeded by an earlier `--keep` run: measured as it is, never dropped. */
async function openSeeded(url: string): Promise<Scratch> {
  const handle = await createDb({ url, dataDir: tmpdir() });
  const sql = new pg.Client({ connectionString: url });
  await sql.connect();
  cleanup = async () => {
    await sql.end();
    await handle.close();
  };
  return { url, db: handle.db, sql } as Scratch;
}

async function main(): Promise<void> {
  if (args.database) scratch = await openSeeded(args.database);
  else {
    scratch = await createScratch((drop) => {
      cleanup = drop;
    });
    await seed();
  }
  const db = scratch.db;
  const clock = manualClock(NOW);
  const http = createHttpServer({ log: silentLogger });
  await registerConsole(http, {
    db,
    clock,
    log: silentLogger,
    publicUrl: "http://localhost:3000",
    brandName: "Bench",
    timezone: "UTC",
  });
  // as `rapport start` registers it: the panel names the customer's segments of the shipped segments.yaml
  const { segments } = compileSegments(
    readFileSync(new URL("../campaigns/segments.yaml", import.meta.url), "utf8"),
    "campaigns/segments.yaml",
  );
  registerLookupApi(http, {
    db,
    clock,
    segmentsOf: (customerId) => segmentsOf(db, segments, customerId, new Date(clock.now())),
  });
  await http.ready();
  // a new staff member each run: a `--database` run signs in on a database an earlier run used
  const email = `bench-admin-${Date.now()}@example.com`;
  await createStaffUser({ db, clock }, { email, role: "admin", password: PASSWORD }, { type: "system" });
  const cookie = await signIn(http, email);
  const page = { accept: "text/html", cookie };
  const { token } = await createApiToken(db, {
    name: "bench",
    scopes: ["customers:read"],
    createdBy: "cli:bench",
  });
  const api = { accept: "application/json", authorization: `Bearer ${token}` };

  const profiles = await scratch.sql.query<{ id: string }>(
    `SELECT id FROM "Customer" WHERE (attributes->>'seq')::int % 6 = 2 ORDER BY (attributes->>'seq')::int LIMIT ${REQUESTS}`,
  );
  const searches = [
    "anna",
    "Siti W",
    "customer123",
    "customer4567@",
    "+48000012",
    "@user_77",
    "1000000123",
    "tomasz n",
    "PUTRI",
    "customer99999",
  ].map((q) => `/console/customers?q=${encodeURIComponent(q)}`);
  const inbox = await http.inject({ url: "/console/inbox", headers: page });
  // every request a cache miss: the clock moves past the 60 s the figures are kept
  const expire = () => clock.advance(61_000);
  // the lookup API (a phone system's screen pop) by each key, for customers spread over the table
  const known = await scratch.sql.query<{
    id: string;
    email: string | null;
    phone: string | null;
    externalId: string | null;
    seq: number;
  }>(
    `SELECT id, email, phone, "externalId", (attributes->>'seq')::int AS seq FROM "Customer"
     WHERE (attributes->>'seq')::int % 60 = 1 ORDER BY (attributes->>'seq')::int LIMIT ${REQUESTS}`,
  );
  const lookups = (key: "email" | "phone" | "externalId" | "id") =>
    known.rows
      .filter((r) => (key === "id" ? r.id : r[key]))
      .map((r) => `/api/customers/lookup?${key}=${encodeURIComponent(String(key === "id" ? r.id : r[key]))}`);
  const handles = known.rows
    .filter((r) => r.seq % 5 < 2)
    .map((r) => `/api/customers/lookup?handle=${encodeURIComponent(`@user_${r.seq}`)}&channel=telegram`);
  const pages: Array<[string, string[], (() => void)?, Record<string, string>?]> = [
    ["dashboard (cold: figures computed)", ["/console/dashboard"], expire],
    ["dashboard (figures cached)", ["/console/dashboard"]],
    ["customers list", ["/console/customers"]],
    ["customers search (10 terms)", searches],
    ["customer profile (20 customers)", profiles.rows.map((r) => `/console/customers/${r.id}`)],
    ["campaigns list (cold)", ["/console/campaigns"], expire],
    ["campaigns list (cached)", ["/console/campaigns"]],
    [
      `campaign page (cold, ${CUSTOMERS.toLocaleString("en")} deliveries)`,
      ["/console/campaigns/bench-winback"],
      expire,
    ],
    ["campaign page (cached)", ["/console/campaigns/bench-winback"]],
    ...(inbox.statusCode === 200 ? [["inbox list", ["/console/inbox"]] as [string, string[]]] : []),
    ["lookup API by email", lookups("email"), undefined, api],
    ["lookup API by phone", lookups("phone"), undefined, api],
    ["lookup API by handle", handles, undefined, api],
    ["lookup API by id", lookups("id"), undefined, api],
    ["lookup API by externalId", lookups("externalId"), undefined, api],
  ];
  // a screen pop hits a server that has answered lookups before: warm it up on every key, so the first line
  // measured does not carry the JIT and the connection pool's start (it did: email, measured first, was the
  // slowest by 3-6 ms at p95 in every run while it came first)
  const measured = pages.filter(([name]) => !args.only || name.startsWith(args.only));
  if (measured.some(([, , , headers]) => headers === api)) {
    const warmUp = [lookups("email"), lookups("phone"), handles, lookups("id"), lookups("externalId")];
    for (let i = 0; i < WARM_UP_LOOKUPS; i++) {
      for (const urls of warmUp) {
        const url = urls[(i * 7 + 3) % urls.length];
        if (url) await http.inject({ url, headers: api });
      }
    }
  }
  const rows: string[][] = [];
  for (const [name, urls, before, headers] of measured) {
    const { median, p95, max, cpu, statements } = await measure(http, headers ?? page, urls, before);
    const target = headers === api ? LOOKUP_TARGET_MS : TARGET_MS;
    const ok = p95 < target ? "yes" : "NO";
    rows.push([
      name,
      median.toFixed(1),
      p95.toFixed(1),
      max.toFixed(1),
      cpu.toFixed(2),
      statements.toFixed(1),
      ok,
    ]);
    console.log(
      `  ${name}: median ${median.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, CPU ${cpu.toFixed(2)} ms`,
    );
  }
  console.log(
    `\nconsole pages, server time via inject, ${REQUESTS} requests each (${CUSTOMERS.toLocaleString("en")} customers, ` +
      `${WITHOUT_INDEXES ? "without" : "with"} the dashboard's indexes):\n` +
      table(
        [
          "page",
          "median ms",
          "p95 ms",
          "max ms",
          "CPU ms/request",
          "statements/request",
          `p95 < ${TARGET_MS} ms (lookup ${LOOKUP_TARGET_MS})`,
        ],
        rows,
        "lrrrrrl",
      ),
  );
  if (inbox.statusCode !== 200) console.log(`(no inbox list: /console/inbox answered ${inbox.statusCode})`);
  await http.close();
  if (args.keep && !args.database) {
    console.log(`kept the database: ${scratch.url}`);
    cleanup = undefined;
  }
}

const stop = async (code: number, error?: unknown) => {
  if (error) console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  await cleanup?.().catch((e: unknown) => console.error(`cleanup failed: ${(e as Error).message}`));
  process.exit(code);
};
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void stop(130));
main().then(
  () => stop(0),
  (error: unknown) => stop(1, error),
);
