import { type CompiledCampaign, compileCampaign, noSegments } from "../campaigns/index.ts";
import { type Db, Prisma } from "../lib/db/index.ts";
import { createAudiences, type fanOut, shipCampaign } from "../workers/index.ts";
import { SEEDED_COUNTRIES } from "./seed.ts";

/**
 * The instant every bench run plans at: 10:30 UTC on the promo's day, when it is daytime in Jakarta, Warsaw
 * and London but night in Auckland and New York (so quiet hours and later local times both occur).
 */
export const NOW = new Date("2026-12-04T10:30:00Z");

/** What `fanOut` takes (its type is not exported from workers/index.ts). */
export type FanOutTarget = Parameters<typeof fanOut>[1];

/** The brand in every message. */
export const BRAND = { name: "Kopi Bench", url: "https://bench.example" };

const audience = `country in [${SEEDED_COUNTRIES.map((c) => `"${c}"`).join(", ")}]`;

/**
 * The fan-out's campaign: Telegram first, else email; quiet hours; a personal coupon; an A/B test of the
 * headline with a 10 % holdout; a weekly cap (so the plan counts each customer's recent messages).
 */
export const PROMO_YAML = `id: bench-promo
name: Bench promo
kind: marketing
trigger: { schedule: { at: 2026-12-04T10:00:00, timezone: customer } }
audience: ${audience}
channels: [telegram, email]
message:
  template: promo
  data:
    headline: { en: "Winter sale", id: "Promo musim dingin", pl: "Zimowa wyprzedaż" }
    body: Everything 20% off
    discount: 20
    code: unique(BENCH20)
    endsAt: "2026-12-06T16:59:59Z"
limits: { quiet_hours: "21:00-08:00", max_per_week: 2 }
variants:
  - { name: a, weight: 50 }
  - { name: b, weight: 50, data: { headline: "Last days of the winter sale" } }
holdout: 10
`;

/**
 * A campaign for the deliver runs on one channel: everything due now (no quiet hours, no holdout) so every
 * queued job is ready at once, with the weekly cap the send-time checks look at.
 */
export const deliverYaml = (channel: "telegram" | "email") => `id: bench-deliver-${channel}
name: Bench deliver ${channel}
kind: marketing
trigger: { schedule: { at: 2026-12-04T10:00:00, timezone: UTC } }
audience: ${audience}
channels: [${channel}]
message:
  template: promo
  data: { headline: "Winter sale", body: "Everything 20% off", discount: 20, code: unique(BENCHD20), endsAt: "2026-12-06T16:59:59Z" }
limits: { max_per_week: 2 }
variants:
  - { name: a, weight: 50 }
  - { name: b, weight: 50, data: { headline: "Last days of the winter sale" } }
`;

/** A compiled campaign, shipped (the Delivery rows' foreign key needs it), with its version id. */
export interface ShippedCampaign {
  campaign: CompiledCampaign;
  versionId: string;
}

/** Compiles `yaml` and stores it as the campaign's current, active version. */
export async function ship(db: Db, yaml: string, file: string): Promise<ShippedCampaign> {
  const campaign = compileCampaign(yaml, file);
  await shipCampaign(db, campaign, yaml, { activate: true });
  const row = await db.campaign.findUniqueOrThrow({ where: { id: campaign.id } });
  return { campaign, versionId: row.currentVersionId! };
}

/** The campaign's audience over `c` (segment DSL → SQL), as the engine compiles it. */
export function audienceSql(campaign: CompiledCampaign): Prisma.Sql {
  return createAudiences(() => noSegments("segments.yaml")).sql(campaign, NOW);
}

/** 10:00 on the promo's day in each customer's own timezone (later in New York: their jobs wait). */
export const LOCAL_TEN = Prisma.sql`('2026-12-04T10:00'::timestamp AT TIME ZONE tz.zone)`;

/** Due at {@link NOW} for everyone: every job is ready at once. */
export const DUE_NOW = Prisma.sql`${NOW}::timestamptz`;

/**
 * A fan-out of `shipped` for its audience narrowed by `extra` (a condition over `c`): the target the campaign
 * clock builds for an `at` schedule, due at `due` (default {@link LOCAL_TEN}).
 */
export function fanOutTarget(
  shipped: ShippedCampaign,
  options: { extra?: Prisma.Sql; due?: Prisma.Sql } = {},
): FanOutTarget {
  return {
    campaign: shipped.campaign,
    versionId: shipped.versionId,
    where: Prisma.sql`(${audienceSql(shipped.campaign)}) AND ${options.extra ?? Prisma.sql`true`}`,
    occurrence: Prisma.sql`'at-2026-12-04T10-00'`,
    due: options.due ?? LOCAL_TEN,
    defaultZone: "UTC",
    brand: BRAND,
    now: NOW,
  };
}
