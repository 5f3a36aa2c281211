import type { Db, Prisma } from "../lib/db/index.ts";
import { mergeFirstTouch } from "./first-touch.ts";

/** What a merge did. Merging twice is harmless: the second call says so. */
export type MergeResult =
  | { kind: "merged"; survivorId: string; mergedId: string }
  | { kind: "same"; survivorId: string };

/** Who or what asked for a merge, recorded in the audit log. */
export interface MergeCause {
  /** "email", "phone", "link_code", "staff", … */
  reason: string;
  actorType?: "system" | "customer" | "staff";
  staffUserId?: string;
}

/**
 * Follows `mergedIntoId` to the customer that holds a merged customer's data now.
 */
export async function survivorOf(db: Db | Prisma.TransactionClient, customerId: string): Promise<string> {
  let id = customerId;
  for (let hops = 0; hops < 20; hops++) {
    const row = await db.customer.findUnique({ where: { id }, select: { mergedIntoId: true } });
    if (!row?.mergedIntoId) return id;
    id = row.mergedIntoId;
  }
  return id;
}

/**
 * Merges two customers into one: the older one survives (a stable choice, whichever side asks). Identities,
 * conversations, interactions, events, purchases, deliveries, coupons and surveys move to the survivor; its
 * empty details are filled from the other; consent keeps the most recent answer per channel; the merged
 * customer stays as a tombstone pointing at the survivor, and an AuditLog row records the merge.
 */
export async function mergeCustomers(db: Db, a: string, b: string, cause: MergeCause): Promise<MergeResult> {
  return db.$transaction(async (tx) => {
    const [first, second] = await Promise.all([survivorOf(tx, a), survivorOf(tx, b)]);
    if (first === second) return { kind: "same" as const, survivorId: first };
    // lock both rows in a fixed order so two concurrent merges of the same pair cannot deadlock
    const ids = [first, second].sort();
    await tx.$queryRaw`SELECT id FROM "Customer" WHERE id IN (${ids[0]}::uuid, ${ids[1]}::uuid) ORDER BY id FOR UPDATE`;
    const rows = await tx.customer.findMany({ where: { id: { in: ids } } });
    const [survivor, merged] = [...rows].sort(
      (x, y) => x.createdAt.getTime() - y.createdAt.getTime() || x.id.localeCompare(y.id),
    );
    if (!survivor || !merged) throw new Error(`cannot merge ${a} and ${b}: customer not found`);

    const from = { customerId: merged.id };
    const to = { customerId: survivor.id };
    await tx.identity.updateMany({ where: from, data: to });
    await tx.conversation.updateMany({ where: from, data: to });
    await tx.interaction.updateMany({ where: from, data: to });
    await tx.event.updateMany({ where: from, data: to });
    await tx.purchase.updateMany({ where: from, data: to });
    await tx.delivery.updateMany({ where: from, data: to });
    await tx.survey.updateMany({ where: from, data: to });
    await tx.surveyAnswer.updateMany({ where: from, data: to });
    await tx.suppression.updateMany({ where: from, data: to });
    await tx.linkCode.updateMany({ where: from, data: to });
    await tx.contactVerification.updateMany({ where: from, data: to });
    // the consent history is evidence: both histories are kept, on the survivor
    await tx.consentEvent.updateMany({ where: from, data: to });
    // the points ledger follows its customer, as Customer.loyaltyPoints (summed below) does
    await tx.loyaltyEntry.updateMany({ where: from, data: to });
    // one claim per (customer, kind, value): the survivor keeps its own where both made the same claim
    const claims = await tx.contactClaim.findMany({ where: to, select: { kind: true, value: true } });
    await tx.contactClaim.deleteMany({
      where: { ...from, OR: claims.map((c) => ({ kind: c.kind, value: c.value })) },
    });
    await tx.contactClaim.updateMany({ where: from, data: to });
    // one coupon per (prefix, customer): the survivor keeps its own where both have one
    const kept = await tx.coupon.findMany({ where: to, select: { prefix: true } });
    await tx.coupon.updateMany({
      where: { ...from, prefix: { notIn: kept.map((c) => c.prefix) } },
      data: to,
    });

    const email = survivor.email ?? merged.email;
    const phone = survivor.phone ?? merged.phone;
    await tx.customer.update({
      where: { id: merged.id },
      data: { mergedIntoId: survivor.id, email: null, phone: null },
    });
    await tx.customer.update({
      where: { id: survivor.id },
      data: {
        email,
        phone,
        name: survivor.name ?? merged.name,
        timezone: survivor.timezone ?? merged.timezone,
        country: survivor.country ?? merged.country,
        source: survivor.source ?? merged.source,
        preferredChannel: survivor.preferredChannel ?? merged.preferredChannel,
        loyaltyPoints: survivor.loyaltyPoints + merged.loyaltyPoints,
        // staff's tags of both, once each
        tags: [...new Set([...(survivor.tags ?? []), ...(merged.tags ?? [])])].sort(),
        attributes: { ...(merged.attributes as object), ...(survivor.attributes as object) },
        consent: mergeConsent(survivor.consent, merged.consent),
        lastInteractionAt: latest(survivor.lastInteractionAt, merged.lastInteractionAt),
        lastPurchaseAt: latest(survivor.lastPurchaseAt, merged.lastPurchaseAt),
      },
    });
    // first touch is written once: the survivor keeps the earlier of the two
    await mergeFirstTouch(tx, merged.id, survivor.id);
    await tx.auditLog.create({
      data: {
        actorType: cause.actorType ?? "system",
        staffUserId: cause.staffUserId ?? null,
        action: "customer.merge",
        targetType: "Customer",
        targetId: survivor.id,
        data: { mergedId: merged.id, reason: cause.reason },
      },
    });
    return { kind: "merged" as const, survivorId: survivor.id, mergedId: merged.id };
  });
}

/**
 * Gives a customer an email address or phone number that is proven theirs: the platform verified it (a
 * Telegram user's own contact card) or the brand knows it (shop, import). When another customer already has
 * it, the two are the same person and are merged. A contact someone merely typed is a claim instead
 * (`claimContact` in contact-claims.ts): never pass one here. Returns the customer who holds the contact.
 */
export async function attachContact(
  db: Db,
  customerId: string,
  contact: { email?: string; phone?: string },
  reason = "contact",
): Promise<string> {
  let current = await survivorOf(db, customerId);
  for (const field of ["email", "phone"] as const) {
    const value = field === "email" ? contact.email?.trim().toLowerCase() : contact.phone?.trim();
    if (!value) continue;
    const owner = await db.customer.findUnique({
      where: { [field]: value } as { email: string },
      select: { id: true },
    });
    if (owner && owner.id !== current) {
      current = (await mergeCustomers(db, current, owner.id, { reason: `${reason}:${field}` })).survivorId;
    } else if (!owner) {
      const me = await db.customer.findUniqueOrThrow({
        where: { id: current },
        select: { email: true, phone: true },
      });
      // a customer keeps the first address they gave; a second one is not silently swapped in
      if (!me[field]) await db.customer.update({ where: { id: current }, data: { [field]: value } });
    }
    if (field === "email") {
      await db.identity.createMany({
        data: [{ customerId: current, channel: "email", externalId: value }],
        skipDuplicates: true,
      });
    }
  }
  return current;
}

function mergeConsent(survivor: unknown, merged: unknown): Prisma.InputJsonValue {
  const a = (survivor ?? {}) as Record<string, { at?: string }>;
  const b = (merged ?? {}) as Record<string, { at?: string }>;
  const out: Record<string, { at?: string }> = { ...a };
  for (const [channel, entry] of Object.entries(b)) {
    const mine = out[channel];
    if (!mine || (entry.at ?? "") > (mine.at ?? "")) out[channel] = entry;
  }
  return out as Prisma.InputJsonValue;
}

function latest(a: Date | null, b: Date | null): Date | null {
  if (!a) return b;
  if (!b) return a;
  return a > b ? a : b;
}
