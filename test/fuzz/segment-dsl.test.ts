import fc from "fast-check";
import { beforeAll, it } from "vitest";
import {
  audienceIssues,
  compileAudience,
  compileSegments,
  loadSegmentFacts,
  type SegmentFacts,
} from "../../campaigns/segment/index.ts";
import { CampaignSyntaxError } from "../../lib/errors.ts";
import { expression } from "../campaigns/segment/arbitraries.ts";
import { customer, insertCustomers } from "../campaigns/segment/customers.ts";
import { useTestDatabase } from "../support/db.ts";
import { checkProperty, checkSyncProperty, useFuzzSummary } from "./support/run.ts";
import { hostileString } from "./support/values.ts";

const database = useTestDatabase();
const summary = useFuzzSummary("segment-dsl");
const NOW = new Date("2026-03-01T12:00:00.000Z");
const { segments } = compileSegments(
  "big: total_spent >= 500 EUR or orders >= 3\nreachable: consented(email)\n",
  "segments.yaml",
);
const facts: SegmentFacts[] = [];

beforeAll(async () => {
  const ids = await insertCustomers(database.db, [
    customer(),
    customer({
      country: "PL",
      attributes: { tier: "gold", score: 7 },
      purchases: [{ cents: 50_000, skus: ["SKU-1"] }],
      ratings: [450],
      identities: ["telegram"],
    }),
  ]);
  facts.push(...(await loadSegmentFacts(database.db, ids, NOW)).values());
});

/** Words of the language and near misses, to make token soup the parser must refuse with a column. */
const TOKENS = [
  "orders",
  "total_spent",
  'total_spent("IDR")',
  "avg_order",
  'avg_order("PLN")',
  "EUR",
  "IDR",
  "eur",
  "avg_rating",
  "last_purchase",
  "first_seen",
  "country",
  "name",
  "email",
  "channels",
  "skus",
  "attributes.tier",
  "attributes.",
  "attributes",
  "segment",
  "segment(big)",
  "segment(nope)",
  "consented",
  "opted_out",
  "(",
  ")",
  "[",
  "]",
  ",",
  "and",
  "or",
  "not",
  "AND",
  "in",
  "not in",
  "contains",
  "is",
  "null",
  "is not null",
  "=",
  "!=",
  "<",
  "<=",
  ">",
  ">=",
  "==",
  "=>",
  "!",
  "now",
  "now - 30d",
  "30d",
  "-",
  "+",
  '"ID"',
  "'PL'",
  '"',
  '"\\',
  "1",
  "-1",
  "2.5",
  "1e309",
  "99999999999999999999",
  "0x10",
  "true",
  "false",
  '"2026-02-30"',
  '"2026-01-31"',
  "\u0000",
  "\ud800",
  "é",
  "😀",
  "#",
  "//",
  ";",
  "\n",
  "\t",
];

/** Expressions: valid ones, valid ones edited in a place, token soup, hostile text, deep and long ones. */
const expressionText = fc.oneof(
  { weight: 3, arbitrary: expression(NOW, ["big", "reachable"]) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(expression(NOW, ["big", "reachable"]), fc.nat(), fc.nat({ max: 5 }), fc.constantFrom(...TOKENS))
      .map(([text, at, cut, token]) => {
        const i = at % (text.length + 1);
        return `${text.slice(0, i)}${token}${text.slice(i + cut)}`;
      }),
  },
  { weight: 3, arbitrary: fc.array(fc.constantFrom(...TOKENS), { maxLength: 12 }).map((t) => t.join(" ")) },
  { weight: 1, arbitrary: hostileString.filter((s) => s.length < 100_000) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom(10, 1_000, 10_000, 100_000),
        fc.constantFrom("paren", "not", "and", "or", "list"),
      )
      .map(([n, shape]) => {
        if (shape === "paren") return `${"(".repeat(n)}orders > 1${")".repeat(n)}`;
        if (shape === "not") return `${"not ".repeat(n)}orders > 1`;
        if (shape === "list") return `country in [${new Array(n).fill('"ID"').join(", ")}]`;
        return new Array(n).fill("orders > 1").join(` ${shape} `);
      }),
  },
);

it("answers every generated audience with issues at columns inside it, or a condition whose SQL runs; never a throw", async () => {
  await checkProperty(
    summary,
    "audience expressions",
    expressionText,
    async (text) => {
      const issues = audienceIssues(text, segments);
      for (const issue of issues) {
        if (!Number.isInteger(issue.col) || issue.col < 1 || issue.col > text.length + 1 || !issue.message)
          throw new Error(`issue outside the expression (length ${text.length}): ${JSON.stringify(issue)}`);
      }
      if (issues.length > 0) {
        summary.count("audience expressions", "issue");
        return;
      }
      const audience = compileAudience(text, segments);
      for (const one of facts) audience.predicate({ ...one, now: NOW });
      await database.db.$queryRaw`SELECT c.id FROM "Customer" c WHERE ${audience.sql(NOW)}`;
      summary.count("audience expressions", "compiled");
    },
    200,
  );
});

it("answers every generated segments.yaml with positioned issues or segments; never a throw", () => {
  const entry = fc
    .tuple(
      fc.oneof(
        fc.constantFrom("vip", "quiet", "big", "a-b", "1x", "__proto__", "constructor"),
        hostileString.filter((s) => s.length < 200),
      ),
      expressionText.filter((s) => s.length < 5_000),
      fc.constantFrom("short", "full", "broken"),
    )
    .map(([name, where, shape]) => {
      const key = JSON.stringify(name);
      const value = JSON.stringify(where);
      if (shape === "short") return `${key}: ${value}`;
      if (shape === "full") return `${key}:\n  description: d\n  where: ${value}`;
      return `${key}:\n  where: [${value}\n  wat: {`;
    });
  checkSyncProperty(
    summary,
    "segments.yaml",
    fc.array(entry, { maxLength: 5 }).map((entries) => entries.join("\n")),
    (source) => {
      const lines = source.split("\n").length;
      let result: ReturnType<typeof compileSegments>;
      try {
        result = compileSegments(source, "segments.yaml");
      } catch (error) {
        if (error instanceof CampaignSyntaxError)
          throw new Error("compileSegments threw instead of returning issues");
        throw error;
      }
      for (const issue of result.issues) {
        if (issue.line < 1 || issue.line > lines + 1 || issue.col < 1 || !issue.message)
          throw new Error(`issue outside the file: ${JSON.stringify(issue)}`);
      }
      summary.count("segments.yaml", result.issues.length ? "issue" : "ok");
    },
    200,
  );
});
