import type { Customer, Db } from "../../lib/db/index.ts";
import { recordAudit } from "../auth/audit.ts";
import { isUuid } from "./ids.ts";

/** The format version of an export, so a reader can tell what it holds. */
export const EXPORT_FORMAT = "rapport.customer-export/1";

/** What an export holds (GDPR access request): every row about one customer. */
export interface CustomerExport {
  format: typeof EXPORT_FORMAT;
  exportedAt: string;
  customer: Customer;
  /** Older records merged into this customer (their data has moved here; these rows keep their details). */
  mergedCustomers: Customer[];
  identities: object[];
  /** Each with its messages, oldest first. */
  conversations: object[];
  /** Messages outside any conversation. */
  interactions: object[];
  /** Each with its purchase lines. */
  events: object[];
  deliveries: object[];
  coupons: object[];
  /** Each with its answers. */
  surveys: object[];
  /** By customer, or by one of their addresses (email, phone, chat ids). */
  suppressions: object[];
  segments: object[];
  linkCodes: object[];
  /** Contacts they gave without proof, verified or not (never the codes). */
  contactClaims: object[];
  /** Every change of their marketing consent: channel, status, source, evidence, when (the history). */
  consentEvents: object[];
  /** Their loyalty points ledger: every earning, refund, redeem, adjustment and expiry. */
  loyaltyEntries: object[];
}

/** How many rows of each kind an export or erasure touched: what the audit log keeps. */
export type RowCounts = Record<string, number>;

/**
 * Every stored row about one customer as one JSON-ready object (dates as ISO strings, money as decimal
 * strings once serialised), or undefined when there is no such customer (or it was merged away: export the
 * survivor). Nothing of another customer is included.
 */
export async function collectCustomerExport(
  db: Db,
  customerId: string,
  now: Date,
): Promise<CustomerExport | undefined> {
  if (!isUuid(customerId)) return undefined;
  const id = customerId.toLowerCase();
  const customer = await db.customer.findUnique({ where: { id } });
  if (!customer || customer.mergedIntoId) return undefined;
  const mine = { customerId: id };
  const identities = await db.identity.findMany({ where: mine, orderBy: { createdAt: "asc" } });
  const addresses = [
    ...identities.map((i) => ({ channel: i.channel, address: i.externalId })),
    ...(customer.email ? [{ channel: "email" as const, address: customer.email }] : []),
  ];
  const [
    mergedCustomers,
    conversations,
    interactions,
    events,
    deliveries,
    coupons,
    surveys,
    suppressions,
    segments,
    linkCodes,
    contactClaims,
    consentEvents,
    loyaltyEntries,
  ] = await Promise.all([
    db.customer.findMany({ where: { mergedIntoId: id }, orderBy: { createdAt: "asc" } }),
    db.conversation.findMany({
      where: mine,
      orderBy: { createdAt: "asc" },
      include: { interactions: { where: mine, orderBy: { sentAt: "asc" } } },
    }),
    db.interaction.findMany({ where: { ...mine, conversationId: null }, orderBy: { sentAt: "asc" } }),
    db.event.findMany({
      where: mine,
      orderBy: { occurredAt: "asc" },
      include: { purchases: { where: mine, orderBy: { sku: "asc" } } },
    }),
    db.delivery.findMany({ where: mine, orderBy: { scheduledAt: "asc" } }),
    db.coupon.findMany({ where: mine, orderBy: { createdAt: "asc" } }),
    db.survey.findMany({
      where: mine,
      orderBy: { sentAt: "asc" },
      include: { answers: { where: mine } },
    }),
    db.suppression.findMany({
      where: { OR: [mine, ...addresses] },
      orderBy: { createdAt: "asc" },
    }),
    db.segmentMember.findMany({ where: mine, orderBy: { segment: "asc" } }),
    db.linkCode.findMany({
      where: { OR: [mine, { usedByCustomerId: id }] },
      orderBy: { createdAt: "asc" },
      select: { channel: true, createdAt: true, expiresAt: true, usedAt: true },
    }),
    db.contactClaim.findMany({
      where: mine,
      orderBy: { createdAt: "asc" },
      select: { kind: true, value: true, source: true, evidence: true, verifiedAt: true, createdAt: true },
    }),
    db.consentEvent.findMany({
      where: mine,
      orderBy: [{ at: "asc" }, { createdAt: "asc" }],
      select: { channel: true, status: true, source: true, evidence: true, at: true, createdAt: true },
    }),
    db.loyaltyEntry.findMany({ where: mine, orderBy: [{ createdAt: "asc" }, { id: "asc" }] }),
  ]);
  return {
    format: EXPORT_FORMAT,
    exportedAt: now.toISOString(),
    customer,
    mergedCustomers,
    identities,
    conversations,
    interactions,
    events,
    deliveries,
    coupons,
    surveys,
    suppressions,
    segments,
    linkCodes,
    contactClaims,
    consentEvents,
    loyaltyEntries,
  };
}

/** How many rows of each list an export holds. */
export function countRows(data: CustomerExport): RowCounts {
  const lists = Object.entries(data).filter((entry): entry is [string, object[]] => Array.isArray(entry[1]));
  const counts: RowCounts = Object.fromEntries(lists.map(([key, rows]) => [key, rows.length]));
  counts["interactions"] =
    (counts["interactions"] ?? 0) +
    data.conversations.reduce(
      (sum, c) => sum + ((c as { interactions?: unknown[] }).interactions?.length ?? 0),
      0,
    );
  return counts;
}

/**
 * Exports a customer for a staff member (GDPR access request) and records `customer.export` in the audit log
 * with the row counts (not the data). Undefined when there is no such customer.
 */
export async function exportCustomer(
  db: Db,
  customerId: string,
  actor: { staffUserId: string; at: Date },
): Promise<CustomerExport | undefined> {
  const data = await collectCustomerExport(db, customerId, actor.at);
  if (!data) return undefined;
  await recordAudit(db, {
    staffUserId: actor.staffUserId,
    action: "customer.export",
    targetType: "Customer",
    targetId: data.customer.id,
    data: { counts: countRows(data) },
    at: actor.at,
  });
  return data;
}
