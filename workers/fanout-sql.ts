import { type CompiledCampaign, RESPONDS_ON_SQL } from "../campaigns/index.ts";
import { LOCALES } from "../lib/channels.ts";
import { Prisma } from "../lib/db/index.ts";
import { variantSql } from "./buckets.ts";
import { consentModeSql } from "./consent-sql.ts";
import { variantMessages } from "./message-data.ts";
import { quietShiftSql } from "./quiet-hours.ts";
import type { Brand } from "./template-data.ts";

/** One campaign occurrence to plan for many customers at once. */
export interface FanOutSpec {
  campaign: CompiledCampaign;
  /** The CampaignVersion the deliveries come from. */
  versionId: string | null;
  /** What makes this occurrence distinct, per customer: a constant or an expression over `c`. Key-safe text. */
  occurrence: Prisma.Sql;
  /** When each customer's message is due (timestamptz over `c` and `tz.zone`), before quiet hours. */
  due: Prisma.Sql;
  brand: Brand;
  /** The timezone of customers without a valid one of their own. */
  defaultZone: string;
  /** Nothing is due before this instant (the injected clock, never the database's `now()`). */
  now: Date;
  /**
   * The server's time zone names (`pg_timezone_names`), read once by a caller that plans in many statements:
   * the view reads every zone file on each call (50–100 ms), which a fan-out paid once per chunk. Read by the
   * statement itself when absent.
   */
  zones?: readonly string[];
}

/**
 * The channel and recipient a customer gets, in one lateral subquery over the campaign's channel list: each
 * listed channel's identity is looked up once (by the customer, `channel` compared as the enum, so Identity's
 * and Suppression's indexes serve it), then three picks are taken in list order:
 *
 * - `channel` / `recipient`: the first channel the customer can be reached on and, for marketing, may receive
 *   marketing on under the installation's consent policy (`granted` under opt-in, not `denied` under opt-out)
 *   and is not suppressed on: the SQL twin of `planMessage` plus the send-time suppression check;
 * - `lax`: the first reachable one neither denied nor suppressed (a skipped row's reason is then no_consent);
 * - `reach`: the first reachable one at all (else opted_out; none: no_channel).
 *
 * Transactional messages are not gated: all three are the first reachable channel.
 */
function channelChoice(campaign: CompiledCampaign): Prisma.Sql {
  const listed = campaign.channels.map((name, ord) =>
    name === "preferred"
      ? Prisma.sql`(${ord}, COALESCE(${RESPONDS_ON_SQL}, c."preferredChannel"::text))`
      : Prisma.sql`(${ord}, ${name}::text)`,
  );
  const marketing = campaign.kind === "marketing";
  const status = Prisma.sql`(c.consent -> ch.name ->> 'status')`;
  const allowed = marketing
    ? Prisma.sql`${status} IS DISTINCT FROM 'denied' AND NOT EXISTS (SELECT 1 FROM "Suppression" s
        WHERE s.channel = ch.name::"Channel" AND s.address = a.address)`
    : Prisma.sql`true`;
  const policy = marketing
    ? Prisma.sql`(${consentModeSql(campaign.consent, Prisma.sql`ch.name`, Prisma.sql`c.country`)} = 'opt-out' OR ${status} = 'granted')`
    : Prisma.sql`true`;
  const first = (column: string, where?: Prisma.Sql) =>
    Prisma.sql`(array_agg(${Prisma.raw(`x.${column}`)} ORDER BY x.ord)${where ? Prisma.sql` FILTER (WHERE ${where})` : Prisma.empty})[1]`;
  return Prisma.sql`(
    SELECT ${first("name", Prisma.sql`x.allowed AND x.policy`)} AS channel,
      ${first("recipient", Prisma.sql`x.allowed AND x.policy`)} AS recipient,
      ${first("name", Prisma.sql`x.allowed`)} AS lax,
      ${first("name")} AS reach
    FROM (
      SELECT ch.ord, ch.name,
        CASE ch.name WHEN 'discord' THEN 'user:' || idn.id WHEN 'x' THEN 'dm:' || idn.id ELSE a.address END AS recipient,
        ${allowed} AS allowed, ${policy} AS policy
      FROM (VALUES ${Prisma.join(listed)}) AS ch(ord, name)
      LEFT JOIN LATERAL (SELECT i."externalId" AS id FROM "Identity" i
        WHERE ch.name <> 'email' AND i."customerId" = c.id AND i.channel = ch.name::"Channel" ORDER BY i."lastSeenAt" DESC LIMIT 1) idn ON true
      CROSS JOIN LATERAL (SELECT CASE WHEN ch.name = 'email' THEN c.email ELSE idn.id END AS address) a
      WHERE ch.name IS NOT NULL AND a.address IS NOT NULL
      OFFSET 0 -- each channel's checks once, not once per pick below
    ) x)`;
}

/** The customer's locale among the supported ones, as `toLocale` reads it. */
const LOCALE_SQL = Prisma.sql`(CASE WHEN split_part(replace(lower(c.locale), '_', '-'), '-', 1) IN (${Prisma.join(
  [...LOCALES],
)}) THEN split_part(replace(lower(c.locale), '_', '-'), '-', 1) ELSE 'en' END)`;

/** Marketing messages the customer already has within `days` before `due` (queued or sent). */
const recentMarketing = (days: number) =>
  Prisma.sql`(SELECT count(*) FROM "Delivery" d WHERE d."customerId" = c.id AND d.kind = 'marketing'
    AND d.status IN ('queued', 'sent') AND d."scheduledAt" > due.at - ${`${days} days`}::interval AND d."scheduledAt" <= due.at)`;

function capped(campaign: CompiledCampaign): Prisma.Sql {
  if (campaign.kind !== "marketing") return Prisma.sql`false`;
  const checks: Prisma.Sql[] = [];
  if (campaign.limits.maxPerDay)
    checks.push(Prisma.sql`${recentMarketing(1)} >= ${campaign.limits.maxPerDay}`);
  if (campaign.limits.maxPerWeek)
    checks.push(Prisma.sql`${recentMarketing(7)} >= ${campaign.limits.maxPerWeek}`);
  return checks.length ? Prisma.sql`(${Prisma.join(checks, " OR ")})` : Prisma.sql`false`;
}

/** `derivedData`'s validUntil in SQL: the end of the local day `days` after `due`, as ISO text. */
export function validUntilSql(due: Prisma.Sql, zone: Prisma.Sql, days: number): Prisma.Sql {
  return Prisma.sql`to_char(((((${due} + ${`${days} days`}::interval) AT TIME ZONE ${zone})::date + time '23:59:59') AT TIME ZONE ${zone}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** The template and data of each variant, as CASE expressions over `v.variant`. */
function byVariant(campaign: CompiledCampaign) {
  const messages = variantMessages(campaign);
  const caseOf = (pick: (m: (typeof messages)[number]) => Prisma.Sql) =>
    messages.length === 1
      ? pick(messages[0]!)
      : Prisma.sql`(CASE v.variant ${Prisma.join(
          messages.map((m) => Prisma.sql`WHEN ${m.variant} THEN ${pick(m)}`),
          " ",
        )} ELSE ${pick(messages[0]!)} END)`;
  const coupons = (m: (typeof messages)[number]) =>
    m.coupons.length === 0
      ? Prisma.sql`'{}'::jsonb`
      : Prisma.sql`jsonb_strip_nulls(jsonb_build_object(${Prisma.join(
          m.coupons.map(
            (slot) =>
              Prisma.sql`${slot.key}::text, (SELECT k.code FROM "Coupon" k WHERE k.prefix = ${slot.prefix} AND k."customerId" = c.id)`,
          ),
        )}))`;
  const validDays = (m: (typeof messages)[number]) => {
    const days = Number(m.data.valid_days);
    return Number.isFinite(days) && days > 0
      ? Prisma.sql`jsonb_build_object('validUntil', ${validUntilSql(Prisma.sql`at.at`, Prisma.sql`tz.zone`, days)})`
      : Prisma.sql`'{}'::jsonb`;
  };
  return {
    template: caseOf((m) => Prisma.sql`${m.template}::text`),
    data: caseOf((m) => Prisma.sql`(${JSON.stringify(m.data)}::jsonb || ${coupons(m)} || ${validDays(m)})`),
  };
}

/**
 * The planned Delivery of every customer in `ids` as a SELECT with the Delivery table's columns: key,
 * channel, status (planned, or skipped with a reason: holdout, no_channel, opted_out, no_consent, frequency_cap), locale,
 * variant, template, data and when it is due (quiet hours applied). `ids` is a uuid[] expression.
 */
export function plannedRows(spec: FanOutSpec, ids: Prisma.Sql): Prisma.Sql {
  const { campaign } = spec;
  const marketing = campaign.kind === "marketing";
  const message = byVariant(campaign);
  const fallback = campaign.channels.find((c) => c !== "preferred") ?? "email";
  const brand = JSON.stringify({ name: spec.brand.name, url: spec.brand.url });
  const zoneNames = spec.zones
    ? Prisma.sql`SELECT unnest(${[...spec.zones]}::text[]) AS name`
    : Prisma.sql`SELECT name FROM pg_timezone_names`;
  return Prisma.sql`
    WITH zones AS MATERIALIZED (${zoneNames})
    SELECT
      ${`d/${campaign.id}/main/`} || c.id::text || '/' || occ.value AS key,
      ${campaign.kind}::"DeliveryKind" AS kind,
      ${campaign.id}::text AS "campaignId",
      ${spec.versionId}::uuid AS "campaignVersionId",
      'main'::text AS step,
      v.variant,
      c.id AS "customerId",
      COALESCE(pick.channel, pick.lax, pick.reach, c."preferredChannel"::text, ${fallback})::"Channel" AS channel,
      (CASE WHEN v.variant = 'holdout' OR pick.channel IS NULL OR cap.capped THEN 'skipped' ELSE 'planned' END)::"DeliveryStatus" AS status,
      CASE WHEN v.variant = 'holdout' THEN 'holdout'
           WHEN pick.channel IS NULL AND pick.lax IS NOT NULL THEN 'no_consent'
           WHEN pick.channel IS NULL AND pick.reach IS NOT NULL THEN 'opted_out'
           WHEN pick.channel IS NULL THEN 'no_channel'
           WHEN cap.capped THEN 'frequency_cap' END AS reason,
      ${message.template} AS template,
      ${LOCALE_SQL} AS locale,
      jsonb_build_object('customer', jsonb_strip_nulls(jsonb_build_object('name', c.name, 'email', c.email)), 'brand', ${brand}::jsonb,
        'loyalty', jsonb_strip_nulls(jsonb_build_object('points', c."loyaltyPoints", 'tier', c."loyaltyTier")))
        || ${message.data} AS data,
      pick.recipient,
      at.at AS "scheduledAt"
    FROM unnest(${ids}) AS u(id)
    JOIN "Customer" c ON c.id = u.id
    CROSS JOIN LATERAL (SELECT ${variantSql(campaign, Prisma.sql`c.id`)} AS variant) v
    CROSS JOIN LATERAL (SELECT ${spec.occurrence} AS value) occ
    LEFT JOIN zones z ON z.name = c.timezone
    CROSS JOIN LATERAL (SELECT COALESCE(z.name, ${spec.defaultZone}) AS zone) tz
    CROSS JOIN LATERAL (SELECT GREATEST(${spec.due}, ${spec.now}::timestamptz) AS at) due
    CROSS JOIN LATERAL (SELECT ${marketing ? quietShiftSql(Prisma.sql`due.at`, Prisma.sql`tz.zone`, campaign.limits.quietHours) : Prisma.sql`due.at`} AS at) at
    CROSS JOIN LATERAL ${channelChoice(campaign)} pick
    -- the cap's count once, and only where it decides (OFFSET 0 keeps it from being inlined twice)
    CROSS JOIN LATERAL (SELECT v.variant IS DISTINCT FROM 'holdout' AND pick.channel IS NOT NULL AND ${capped(campaign)} AS capped OFFSET 0) cap`;
}

/** The Delivery columns {@link plannedRows} yields, in order, for INSERT. */
export const DELIVERY_COLUMNS = Prisma.raw(
  `key, kind, "campaignId", "campaignVersionId", step, variant, "customerId", channel, status, reason, template, locale, data, recipient, "scheduledAt"`,
);
