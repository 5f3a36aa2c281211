import type { CompiledCampaign } from "../campaigns/index.ts";
import {
  type Audience,
  compileAudience,
  loadSegmentFacts,
  type MoneyContext,
  type Segments,
} from "../campaigns/index.ts";
import { type Db, Prisma } from "../lib/db/index.ts";

/** Audiences of campaigns and named segments, compiled once per expression. */
export interface Audiences {
  /** The campaign's audience as a condition over `c`; everyone without one. */
  sql(campaign: CompiledCampaign, now: Date): Prisma.Sql;
  /** Whether one customer is in the campaign's audience now. */
  includes(db: Db, campaign: CompiledCampaign, customerId: string, now: Date): Promise<boolean>;
  /** A named segment's condition over `c`. */
  segmentSql(name: string, now: Date): Prisma.Sql;
  /** The base currency and rates the segments use (currencies.yaml). */
  money(): MoneyContext;
}

/** Compiles audiences against the named segments (campaigns/segments.yaml). */
export function createAudiences(segments: () => Segments): Audiences {
  const cache = new Map<string, Audience>();
  const compiled = (expression: string) => {
    let audience = cache.get(expression);
    if (!audience) {
      audience = compileAudience(expression, segments());
      cache.set(expression, audience);
    }
    return audience;
  };
  return {
    sql: (campaign, now) => (campaign.audience ? compiled(campaign.audience).sql(now) : Prisma.sql`true`),
    async includes(db, campaign, customerId, now) {
      if (!campaign.audience) return true;
      const facts = (await loadSegmentFacts(db, [customerId], now)).get(customerId);
      return facts ? compiled(campaign.audience).predicate(facts) : false;
    },
    money: () => segments().money,
    segmentSql(name, now) {
      const segment = segments().byName.get(name);
      if (!segment) throw new Error(`unknown segment '${name}': define it in ${segments().file}`);
      return segment.sql(now);
    },
  };
}
