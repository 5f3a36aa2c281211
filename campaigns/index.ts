/**
 * Campaigns: marketer YAML compiled into typed, frozen plans, with every error at its file:line:col.
 */
export { compileCampaign } from "./compile.ts";
export {
  type ConsentMode,
  type ConsentPolicy,
  compileConsentPolicy,
  consentMode,
  DEFAULT_CONSENT_POLICY,
  loadConsentPolicy,
  marketingAllowed,
} from "./consent-policy.ts";
export { DURATION_UNITS_MS, parseDuration } from "./duration.ts";
export { campaignJsonSchema } from "./json-schema.ts";
export { type LoadedCampaigns, loadCampaigns } from "./load.ts";
export {
  compileLoyaltyRules,
  type LoyaltyRules,
  loadLoyaltyRules,
  pointsFor,
  tierFor,
  tierNames,
  unknownTiers,
} from "./loyalty.ts";
export {
  CAMPAIGN_CHANNELS,
  type CampaignSource,
  type CompiledCampaign,
  type CouponDeclaration,
} from "./schema.ts";
export {
  type Audience,
  type CompiledSegment,
  compileAudience,
  compileSegments,
  engagementField,
  loadSegmentFacts,
  loadSegments,
  type MoneyContext,
  NOT_FULLY_REFUNDED,
  noSegments,
  RESPONDS_ON_SQL,
  RFM_MAP,
  RFM_SEGMENTS,
  type RfmSegment,
  type RfmSummary,
  refreshRfm,
  respondsOnOf,
  rfmDistribution,
  type SegmentFacts,
  type Segments,
} from "./segment/index.ts";
export { type CampaignTrigger, TRIGGER_KINDS } from "./trigger.ts";
