import { readFile } from "node:fs/promises";
import { isMap, isScalar, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { Prisma } from "../lib/db/index.ts";
import type { CampaignIssue } from "../lib/errors.ts";
import { expected } from "./expected.ts";
import { campaignIssues, KnownKeys } from "./issues.ts";
import { wholeNumber } from "./names.ts";
import { positionOf } from "./positions.ts";
import type { Condition, Operand } from "./segment/index.ts";
import { yamlIssues } from "./yaml-issues.ts";

/**
 * The loyalty programme (campaigns/loyalty.yaml), compiled: what a purchase earns per currency, what other
 * events earn, when earned points expire, and the tiers.
 */
export interface LoyaltyRules {
  /** Currency code (upper case) → `points` for every `per` (a decimal string) of an order's total. */
  earn: Readonly<Record<string, { points: number; per: string }>>;
  /** Event type → points each such event earns once (a survey answered, a sign-up). */
  bonus: Readonly<Record<string, number>>;
  /** Earned points expire this many months after they were earned; 0: never. */
  expiryMonths: number;
  /**
   * `points`: points earned (purchases and bonuses, less refunds) in the last 12 months; `spend`: purchases less
   * refunds in the last 12 months, in the base currency (currencies.yaml). `levels` ascend by `from`.
   */
  tiers: { by: "points" | "spend"; levels: readonly { name: string; from: number }[] };
}

/** Events whose points are not a bonus: purchases earn by `earn`, refunds take back, tier changes would loop. */
const NOT_BONUS = ["purchase", "refund", "tier_changed"];
const MAX_POINTS = 2_147_483_647;
const EARN_RATE = /^(\d{1,9})\s+per\s+(\d{1,12}(?:\.\d{1,6})?)$/;
const EARN_EXPECTED = expected(
  'points per amount of the currency, like "1 per 10000" (1 point per Rp 10 000)',
);

const EarnRate = z
  .string({ error: EARN_EXPECTED })
  .trim()
  .regex(EARN_RATE, { error: EARN_EXPECTED })
  .transform((text, ctx) => {
    const [, points, per] = EARN_RATE.exec(text)!;
    if (Number(points) < 1 || Number(per) <= 0) {
      ctx.addIssue({
        code: "custom",
        message: `expected at least 1 point per an amount above 0, got "${text}"`,
      });
      return z.NEVER;
    }
    return { points: Number(points), per: per! };
  });

/** Every key of a map must match: checked apart so the message names the key, not the map. */
function keysMatch(test: (key: string) => string | undefined) {
  return (map: Record<string, unknown>, ctx: z.RefinementCtx) => {
    for (const key of Object.keys(map)) {
      const problem = test(key);
      if (problem) ctx.addIssue({ code: "custom", path: [key], message: problem, input: key });
    }
  };
}

const EVENT_NAME = /^[A-Za-z][A-Za-z0-9_.:-]*$/;
const TIER_NAME = /^[a-z][a-z0-9_-]{0,39}$/;

const LoyaltyFile = z.strictObject(
  {
    earn: z
      .record(z.string(), EarnRate, {
        error: expected('a map of currencies to points per amount, like IDR: "1 per 10000"'),
      })
      .superRefine(
        keysMatch((code) =>
          /^[A-Z]{3}$/.test(code) ? undefined : `'${code}': expected a currency code in capitals, like IDR`,
        ),
      )
      .optional(),
    bonus: z
      .record(z.string(), wholeNumber("points", 1, MAX_POINTS), {
        error: expected("a map of event types to the points each earns, like survey_answered: 20"),
      })
      .superRefine(
        keysMatch((type) =>
          NOT_BONUS.includes(type)
            ? `${type} cannot be a bonus event: purchases earn by earn:, refunds take back, tier changes would loop`
            : EVENT_NAME.test(type)
              ? undefined
              : `'${type}': expected an event name like survey_answered`,
        ),
      )
      .optional(),
    expire_after_months: wholeNumber("months after which earned points expire (0: never)", 0, 120).optional(),
    tiers: z
      .strictObject(
        {
          by: z.enum(["points", "spend"], { error: expected("points or spend") }),
          levels: z
            .record(
              z.string(),
              z.number({ error: expected("the points or spend a tier starts at, like 500") }).min(0),
              {
                error: expected("a map of tier names to where they start, like { bronze: 0, silver: 500 }"),
              },
            )
            .superRefine(
              keysMatch((name) =>
                TIER_NAME.test(name)
                  ? undefined
                  : `'${name}': expected a tier name in lowercase letters, digits, _ and -, like gold`,
              ),
            )
            .superRefine((levels, ctx) => {
              if (Object.keys(levels).length === 0)
                ctx.addIssue({ code: "custom", message: "expected at least one tier" });
              const seen = new Map<number, string>();
              for (const [name, from] of Object.entries(levels)) {
                const other = seen.get(from);
                if (other !== undefined)
                  ctx.addIssue({
                    code: "custom",
                    path: [name],
                    message: `${name} starts where ${other} does (${from}): give each tier its own start`,
                  });
                seen.set(from, name);
              }
            }),
        },
        { error: expected("a map with by (points or spend) and levels") },
      )
      .optional(),
  },
  { error: expected("a map with earn, bonus, expire_after_months and tiers") },
);

/**
 * Compiles the text of a loyalty.yaml (see the shipped campaigns/loyalty.yaml).
 * @returns the rules (undefined when the file is empty or has problems: then nothing earns) and every problem
 * at file:line:col.
 */
export function compileLoyaltyRules(
  source: string,
  file: string,
): { rules: LoyaltyRules | undefined; issues: CampaignIssue[] } {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false });
  const issues = yamlIssues(doc, lines, file);
  if (issues.length > 0) return { rules: undefined, issues };
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { rules: undefined, issues };
  if (!isMap(root)) {
    const message =
      'expected a map with earn, bonus, expire_after_months and tiers, like earn: { PLN: "1 per 1" }';
    return { rules: undefined, issues: [{ file, ...positionOf(root, lines), message }] };
  }
  const known = new KnownKeys();
  const result = LoyaltyFile.safeParse(doc.toJS({ maxAliasCount: 100 }), { error: known.errorMap });
  if (!result.success)
    return { rules: undefined, issues: campaignIssues(result.error.issues, doc, lines, file, known, false) };
  const data = result.data;
  const levels = Object.entries(data.tiers?.levels ?? {})
    .map(([name, from]) => ({ name, from }))
    .sort((a, b) => a.from - b.from);
  return {
    rules: {
      earn: { ...data.earn },
      bonus: { ...data.bonus },
      expiryMonths: data.expire_after_months ?? 0,
      tiers: { by: data.tiers?.by ?? "points", levels },
    },
    issues,
  };
}

/** Reads a loyalty.yaml; a missing file is no programme (undefined). Problems are returned, never thrown. */
export async function loadLoyaltyRules(
  file: string,
): Promise<{ rules: LoyaltyRules | undefined; issues: CampaignIssue[] }> {
  let source: string;
  try {
    source = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { rules: undefined, issues: [] };
    const message = `cannot read the file: ${(error as Error).message}`;
    return { rules: undefined, issues: [{ file, line: 1, col: 1, message }] };
  }
  return compileLoyaltyRules(source, file);
}

/**
 * The points an order of `amount` (a decimal string) in `currency` earns: `points × amount / per`, rounded
 * down; 0 for a currency without a rate.
 */
export function pointsFor(rules: LoyaltyRules, amount: string, currency: string | null): number {
  const rate = currency ? rules.earn[currency.toUpperCase()] : undefined;
  if (!rate) return 0;
  const points = new Prisma.Decimal(amount).mul(rate.points).div(rate.per).floor();
  return Math.max(0, Math.min(MAX_POINTS, points.toNumber()));
}

/** The tier a customer with `measure` (points or spend, as `rules.tiers.by` says) is in; null below the lowest. */
export function tierFor(rules: LoyaltyRules, measure: number): string | null {
  let tier: string | null = null;
  for (const level of rules.tiers.levels) if (measure >= level.from) tier = level.name;
  return tier;
}

/** The names of the tiers, lowest first. */
export function tierNames(rules: LoyaltyRules | undefined): string[] {
  return rules?.tiers.levels.map((l) => l.name) ?? [];
}

/**
 * The tier names an audience condition compares `loyalty.tier` with that `names` (loyalty.yaml's tiers) lacks:
 * such a comparison matches nobody, which is a typo far more often than an intent.
 */
export function unknownTiers(condition: Condition, names: readonly string[]): string[] {
  const unknown = new Set<string>();
  const isTier = (operand: Operand) => operand.kind === "field" && operand.field.name === "loyalty.tier";
  const walk = (c: Condition): void => {
    if (c.kind === "and" || c.kind === "or") c.items.forEach(walk);
    else if (c.kind === "not") walk(c.item);
    else if (c.kind === "text" && isTier(c.operand) && !names.includes(c.value)) unknown.add(c.value);
    else if (c.kind === "in" && isTier(c.operand))
      for (const value of c.values) if (!names.includes(String(value))) unknown.add(String(value));
  };
  walk(condition);
  return [...unknown];
}
