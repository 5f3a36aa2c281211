import { beforeAll, describe, expect, it } from "vitest";
import {
  compileAudience,
  compileSegments,
  loadSegmentFacts,
  type SegmentFacts,
  type Segments,
} from "../../../campaigns/segment/index.ts";
import { useTestDatabase } from "../../support/db.ts";
import { type CustomerSpec, customer, factsOf, insertCustomers } from "./customers.ts";

const database = useTestDatabase();
const NOW = new Date("2026-03-01T12:00:00.000Z");
const DAY = 86_400_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms);

const SPECS: Record<string, CustomerSpec> = {
  ana: customer({
    name: "Ana Budi",
    email: "ana@example.com",
    country: "ID",
    locale: "id",
    timezone: "Asia/Jakarta",
    preferredChannel: "telegram",
    loyaltyPoints: 120,
    purchases: [
      { cents: 10_000, skus: ["SKU-1"] },
      { cents: 25_050, skus: ["SKU-2", "SKU-1"] },
      { cents: 20_000, skus: [] },
    ],
    ratings: [500, 400],
    lastPurchaseAt: ago(10 * DAY),
    createdAt: ago(100 * DAY),
    identities: ["telegram", "email"],
    consent: { email: { status: "granted", at: "2026-01-01T00:00:00Z" }, telegram: { status: "denied" } },
    attributes: { tier: "gold", score: 7.5, vip: true },
  }),
  piotr: customer({
    name: "Piotr",
    email: "piotr@example.pl",
    country: "PL",
    locale: "pl",
    purchases: [{ cents: 8_000, skus: ["sku-1"] }],
    ratings: [300],
    lastPurchaseAt: ago(60 * DAY),
    lastInteractionAt: ago(3_600_000),
    createdAt: ago(20 * DAY),
    identities: ["discord"],
    consent: { email: { status: "denied" } },
    attributes: { tier: "silver", score: 3, vip: false },
  }),
  zed: customer({
    pageViews: 3,
    createdAt: ago(5 * DAY),
    consent: { email: "granted" },
    attributes: { tier: 5, vip: "yes" },
  }),
  dora: customer({
    name: "Dora",
    country: "ID",
    purchases: [
      ...Array.from({ length: 5 }, () => ({ cents: null, skus: [] })),
      { cents: 10, skus: [] },
      { cents: 20, skus: [] },
    ],
    lastPurchaseAt: new Date("2026-01-31T23:59:59.999Z"),
    consent: { email: { status: "granted" }, x: { status: "denied" } },
    attributes: { score: null, tier: ["gold"] },
  }),
};

let segments: Segments;
const labelOf = new Map<string, string>();

beforeAll(async () => {
  const names = Object.keys(SPECS);
  const ids = await insertCustomers(database.db, Object.values(SPECS));
  for (const [i, id] of ids.entries()) labelOf.set(id, names[i]!);
  const compiled = compileSegments(
    'vip: total_spent > 500 EUR or orders >= 5\nid: country = "ID"\n',
    "segments.yaml",
  );
  segments = compiled.segments;
});

/** Who the audience takes in by SQL, checked against the predicate on loaded facts and on facts made by hand. */
async function members(expression: string, now = NOW): Promise<string[]> {
  const audience = compileAudience(expression, segments);
  const rows = await database.db.$queryRaw<Array<{ id: string }>>`
    SELECT c.id FROM "Customer" c WHERE ${audience.sql(now)}`;
  const bySql = rows.map((row) => labelOf.get(row.id)!).sort();
  const loaded = await loadSegmentFacts(database.db, [...labelOf.keys()], now);
  const byLoaded = [...loaded]
    .filter(([, facts]) => audience.predicate(facts))
    .map(([id]) => labelOf.get(id)!);
  const byHand = Object.entries(SPECS)
    .filter(([, spec]) => audience.predicate(factsOf(spec, now)))
    .map(([label]) => label);
  expect(byLoaded.sort(), `predicate on loaded facts: ${expression}`).toEqual(bySql);
  expect(byHand.sort(), `predicate on facts by hand: ${expression}`).toEqual(bySql);
  return bySql;
}

describe("audience SQL and predicate", () => {
  it.each([
    ["orders >= 2", ["ana", "dora"]],
    ["orders = 0", ["zed"]],
    ["total_spent > 500 EUR", ["ana"]],
    ["total_spent = 550.5 EUR", ["ana"]],
    ["total_spent = 0.3 EUR", ["dora"]],
    ["total_spent = 0 EUR", ["zed"]],
    ["avg_rating >= 4.5", ["ana"]],
    ["avg_rating < 4", ["piotr"]],
    ["avg_rating is null", ["dora", "zed"]],
    ["loyalty_points in [0, 5]", ["dora", "piotr", "zed"]],
  ])("counts purchases, sums money and averages ratings: %s", async (expression, expected) => {
    expect(await members(expression)).toEqual(expected);
  });

  it.each([
    ['country != "ID"', ["piotr"]],
    ['not country = "ID"', ["piotr", "zed"]],
    ['country not in ["PL"]', ["ana", "dora"]],
    ['not country in ["PL"]', ["ana", "dora", "zed"]],
    ["not avg_rating >= 4", ["dora", "piotr", "zed"]],
    ["avg_rating >= 4 or not avg_rating >= 4", ["ana", "dora", "piotr", "zed"]],
  ])("makes a comparison with a null field false, so not takes it in: %s", async (expression, expected) => {
    expect(await members(expression)).toEqual(expected);
  });

  it.each([
    ['email = "ANA@Example.com"', ["ana"]],
    ['name = "ana budi"', []],
    ['name contains "BUD"', ["ana"]],
    ['name contains "o"', ["dora", "piotr"]],
    ['email contains "@EXAMPLE."', ["ana", "piotr"]],
    ['preferred_channel = "telegram"', ["ana"]],
    ['locale = "en"', ["dora", "zed"]],
    ['timezone is not null and locale in ["id", "pl"]', ["ana"]],
  ])(
    "compares text case-sensitively, but email and contains ignore case: %s",
    async (expression, expected) => {
      expect(await members(expression)).toEqual(expected);
    },
  );

  it.each([
    ["last_purchase < now - 60d", []],
    ["last_purchase <= now - 60d", ["piotr"]],
    ['last_purchase < "2026-01-31"', ["piotr"]],
    ['last_purchase <= "2026-01-31"', ["dora", "piotr"]],
    ['last_purchase > "2026-01-31"', ["ana"]],
    ['last_purchase >= "2026-01-31T23:59:59.999Z"', ["ana", "dora"]],
    ['last_purchase >= "2026-02-01T06:59:59.999+07:00"', ["ana", "dora"]],
    ["first_seen > now - 30d", ["piotr", "zed"]],
    ["last_interaction > now - 2h", ["piotr"]],
    ["last_interaction is null", ["ana", "dora", "zed"]],
  ])(
    "compares dates with now and with dates, a date alone meaning the whole UTC day: %s",
    async (expression, expected) => {
      expect(await members(expression)).toEqual(expected);
    },
  );

  it("reads now from the caller, never from the server's clock", async () => {
    expect(await members("first_seen > now - 30d", new Date(NOW.getTime() + 30 * DAY))).toEqual([]);
    expect(await members("first_seen > now - 30d", new Date(NOW.getTime() + 16 * DAY))).toEqual(["zed"]);
    const sql = compileAudience("first_seen > now - 30d", segments).sql(NOW);
    expect(sql.sql.toLowerCase()).not.toContain("now()");
    expect(sql.sql.toLowerCase()).not.toContain("current_");
    expect(sql.values).toContain("2026-01-30T12:00:00.000");
  });

  it("binds every value as a parameter", () => {
    const sql = compileAudience(
      'country = "ID\' OR 1=1 --" or name contains "x" or attributes.tier = "gold" or consented(email)',
      segments,
    ).sql(NOW);
    expect(sql.sql).not.toContain("OR 1=1");
    expect(sql.sql).not.toContain("gold");
    expect(sql.sql).not.toContain("email");
    expect(sql.values).toEqual(
      expect.arrayContaining(["ID' OR 1=1 --", "x", "tier", "gold", "email", "granted"]),
    );
  });

  it.each([
    ['channels contains "email"', ["ana"]],
    ['channels contains "discord" or channels contains "telegram"', ["ana", "piotr"]],
    ['skus contains "SKU-1"', ["ana"]],
    ['skus contains "sku-1"', ["piotr"]],
    ['not skus contains "SKU-2"', ["dora", "piotr", "zed"]],
  ])("looks into identities and purchase lines: %s", async (expression, expected) => {
    expect(await members(expression)).toEqual(expected);
  });

  it.each([
    ["consented(email)", ["ana", "dora"]],
    ["opted_out(email)", ["piotr"]],
    ["not consented(email) and not opted_out(email)", ["zed"]],
    ["opted_out(x) or opted_out(telegram)", ["ana", "dora"]],
    ["consented(webchat)", []],
  ])("reads consent per channel, ignoring malformed entries: %s", async (expression, expected) => {
    expect(await members(expression)).toEqual(expected);
  });

  it.each([
    ['attributes.tier = "gold"', ["ana"]],
    ["attributes.tier = 5", ["zed"]],
    ['attributes.tier in ["gold", "silver"]', ["ana", "piotr"]],
    ['attributes.tier contains "OL"', ["ana"]],
    ["attributes.score > 5", ["ana"]],
    ["attributes.score <= 7.5", ["ana", "piotr"]],
    ["attributes.score is null", ["dora", "zed"]],
    ["attributes.vip = true", ["ana"]],
    ["attributes.vip != true", ["piotr"]],
    ["attributes.missing is not null", []],
  ])(
    "compares an attribute as the type of the value, other types counting as missing: %s",
    async (expression, expected) => {
      expect(await members(expression)).toEqual(expected);
    },
  );

  it.each([
    ["segment(vip)", ["ana", "dora"]],
    ["segment(vip) and not segment(id)", []],
    ["segment(id) and orders < 5", ["ana"]],
  ])("expands named segments: %s", async (expression, expected) => {
    expect(await members(expression)).toEqual(expected);
  });
});

describe("loadSegmentFacts", () => {
  it("loads every fact of a customer in one query", async () => {
    const ana = [...labelOf].find(([, label]) => label === "ana")![0];
    const facts = (await loadSegmentFacts(database.db, [ana], NOW)).get(ana)!;
    expect({ ...facts, channels: facts.channels.sort(), skus: facts.skus.sort() }).toEqual({
      now: NOW,
      orders: 3,
      money: { EUR: { net: "550.50", orders: 3 } },
      avgRating: 4.5,
      lastPurchase: ago(10 * DAY),
      lastInteraction: null,
      firstSeen: ago(100 * DAY),
      name: "Ana Budi",
      email: "ana@example.com",
      phone: null,
      country: "ID",
      locale: "id",
      timezone: "Asia/Jakarta",
      source: null,
      preferredChannel: "telegram",
      loyaltyPoints: 120,
      channels: ["email", "telegram"],
      skus: ["SKU-1", "SKU-2"],
      tags: [],
      consent: { email: { status: "granted", at: "2026-01-01T00:00:00Z" }, telegram: { status: "denied" } },
      attributes: { tier: "gold", score: 7.5, vip: true },
      loyaltyTier: null,
      rfmRecency: null,
      rfmFrequency: null,
      rfmMonetary: null,
      rfmSegment: null,
      engagement: [],
      respondsOn: null,
      firstTouchSource: null,
      firstTouchMedium: null,
      firstTouchCampaign: null,
    } satisfies SegmentFacts);
  });

  it("leaves out ids that match no customer, and asks nothing for no ids", async () => {
    const facts = await loadSegmentFacts(database.db, ["00000000-0000-0000-0000-000000000000"], NOW);
    expect(facts.size).toBe(0);
    expect((await loadSegmentFacts(database.db, [], NOW)).size).toBe(0);
  });
});
