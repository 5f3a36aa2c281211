import { createHash, randomInt, timingSafeEqual } from "node:crypto";
import type { Clock } from "../lib/clock.ts";
import type { Db } from "../lib/db/index.ts";
import { replyKey } from "../lib/ids.ts";
import { type ClaimSource, claimContact, claimValue } from "./contact-claims.ts";
import { type MergeResult, mergeCustomers, survivorOf } from "./merge.ts";
import type { SendReply } from "./reply.ts";

/** How long a verification code is valid, in ms: 10 minutes. */
export const VERIFY_CODE_TTL_MS = 10 * 60_000;
/** Wrong or right, a code takes this many attempts; then it is dead. */
export const VERIFY_MAX_ATTEMPTS = 5;
/** Codes one customer may ask for per hour, and codes one address may receive per hour (from anyone). */
export const VERIFY_SENDS_PER_HOUR = 3;
/** The template of the code email (`templates/verify-email/`). */
export const VERIFY_TEMPLATE = "verify-email";

/** What sending a code needs. */
export interface VerificationDeps {
  db: Db;
  clock: Clock;
  /** Queues the code email as a transactional Delivery (outbox without a Resend key). */
  sendReply: SendReply;
  brandName: string;
}

/** What asking for a code did. Neither outcome tells whether the address belongs to anyone. */
export type RequestResult =
  | { kind: "sent"; claimId: string }
  | { kind: "rate_limited"; retryAfterMs: number };

/**
 * Stores the email as an unverified claim of the customer and sends a 6-digit code to that address, through
 * the transactional email path, in the customer's locale. A new code ends the customer's previous one. At most
 * {@link VERIFY_SENDS_PER_HOUR} codes per customer and per address an hour: nobody floods a stranger's inbox;
 * an ask refused for that stores nothing, not even the claim.
 */
export async function requestEmailVerification(
  deps: VerificationDeps,
  customerId: string,
  email: string,
  source: ClaimSource,
): Promise<RequestResult> {
  const now = new Date(deps.clock.now());
  const owner = await survivorOf(deps.db, customerId);
  const value = claimValue("email", email);
  const hourAgo = new Date(now.getTime() - 3_600_000);
  const recent = await deps.db.contactVerification.findMany({
    where: { createdAt: { gt: hourAgo }, OR: [{ customerId: owner }, { value }] },
    select: { customerId: true, value: true, createdAt: true },
    orderBy: { createdAt: "asc" },
  });
  const retryAfterMs = hourlyWait(recent, { customerId: owner, value }, now);
  // a refused ask writes nothing, not even the claim
  if (retryAfterMs !== undefined) return { kind: "rate_limited", retryAfterMs };
  const claimId = await claimContact(deps.db, owner, { kind: "email", value, source });
  await deps.db.contactVerification.updateMany({
    where: { customerId: owner, usedAt: null, expiresAt: { gt: now } },
    data: { expiresAt: now },
  });
  const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
  const created = await deps.db.contactVerification.create({
    data: {
      customerId: owner,
      claimId,
      value,
      codeHash: "",
      expiresAt: new Date(now.getTime() + VERIFY_CODE_TTL_MS),
      createdAt: now,
    },
    select: { id: true },
  });
  await deps.db.contactVerification.update({
    where: { id: created.id },
    data: { codeHash: hashCode(created.id, code) },
  });
  const customer = await deps.db.customer.findUniqueOrThrow({
    where: { id: owner },
    select: { locale: true },
  });
  await deps.sendReply({
    key: replyKey("verify", created.id),
    customerId: owner,
    conversationId: null,
    channel: "email",
    to: value,
    text: "",
    locale: customer.locale,
    template: VERIFY_TEMPLATE,
    data: { code, minutes: VERIFY_CODE_TTL_MS / 60_000, brand: { name: deps.brandName } },
  });
  return { kind: "sent", claimId };
}

/** One email sent to an address for a customer: what {@link hourlyWait} counts. */
export interface SentToAddress {
  customerId: string;
  value: string;
  createdAt: Date;
}

/**
 * The limit of emails a visitor can make us send (codes, double opt-in links): at most
 * {@link VERIFY_SENDS_PER_HOUR} an hour to one customer and to one address, whoever asks. `recent` holds the
 * sends of the last hour to either, oldest first.
 * @returns how long to wait in ms (at least 1 000) when the limit is reached, else undefined.
 */
export function hourlyWait(
  recent: SentToAddress[],
  next: { customerId: string; value: string },
  now: Date,
): number | undefined {
  const mine = recent.filter((r) => r.customerId === next.customerId);
  const theirs = recent.filter((r) => r.value === next.value);
  const full = [mine, theirs].find((list) => list.length >= VERIFY_SENDS_PER_HOUR);
  if (!full) return undefined;
  const oldest = full[full.length - VERIFY_SENDS_PER_HOUR]!.createdAt.getTime();
  return Math.max(1_000, oldest + 3_600_000 - now.getTime());
}

/** What entering a code did. */
export type VerifyResult =
  | { kind: "verified"; customerId: string; email: string; merge: MergeResult | undefined }
  | { kind: "wrong"; attemptsLeft: number }
  | { kind: "locked" | "expired" | "none" };

/**
 * Checks a code the customer typed against their latest one. Every attempt, right or wrong, uses one of
 * {@link VERIFY_MAX_ATTEMPTS}, counted in the database before comparing, so parallel guesses cannot exceed it.
 * The right code proves the address: the claim is verified and, when another customer holds that address,
 * the two are merged (audited with reason "verified_email"); else the address becomes the customer's email
 * (if they had none) and an email identity.
 */
export async function verifyEmailCode(
  db: Db,
  customerId: string,
  code: string,
  now: Date,
): Promise<VerifyResult> {
  const owner = await survivorOf(db, customerId);
  const latest = await db.contactVerification.findFirst({
    where: { customerId: owner },
    orderBy: { createdAt: "desc" },
  });
  if (!latest || latest.usedAt) return { kind: "none" };
  if (latest.expiresAt <= now) return { kind: "expired" };
  const counted = await db.contactVerification.updateMany({
    where: { id: latest.id, usedAt: null, attempts: { lt: VERIFY_MAX_ATTEMPTS }, expiresAt: { gt: now } },
    data: { attempts: { increment: 1 } },
  });
  if (counted.count === 0) return { kind: "locked" };
  if (!sameHash(latest.codeHash, hashCode(latest.id, code.trim()))) {
    const after = await db.contactVerification.findUniqueOrThrow({
      where: { id: latest.id },
      select: { attempts: true },
    });
    return { kind: "wrong", attemptsLeft: Math.max(0, VERIFY_MAX_ATTEMPTS - after.attempts) };
  }
  const used = await db.contactVerification.updateMany({
    where: { id: latest.id, usedAt: null },
    data: { usedAt: now },
  });
  if (used.count === 0) return { kind: "none" };
  await db.contactClaim.update({ where: { id: latest.claimId }, data: { verifiedAt: now } });
  return { kind: "verified", email: latest.value, ...(await adoptEmail(db, owner, latest.value)) };
}

/**
 * Gives a customer an email they proved (a code typed back, a double opt-in link confirmed): merges with its
 * holder, or makes it theirs.
 */
export async function adoptEmail(
  db: Db,
  customerId: string,
  email: string,
): Promise<{ customerId: string; merge: MergeResult | undefined }> {
  const holder =
    (await db.customer.findFirst({ where: { email, mergedIntoId: null }, select: { id: true } })) ??
    (await db.identity
      .findUnique({
        where: { channel_externalId: { channel: "email", externalId: email } },
        select: { id: true, customerId: true },
      })
      .then((identity) => (identity ? { id: identity.customerId } : null)));
  if (holder && holder.id !== customerId) {
    const merge = await mergeCustomers(db, customerId, holder.id, {
      reason: "verified_email",
      actorType: "customer",
    });
    return { customerId: merge.survivorId, merge };
  }
  await db.customer.updateMany({ where: { id: customerId, email: null }, data: { email } });
  await db.identity.createMany({
    data: [{ customerId, channel: "email", externalId: email }],
    skipDuplicates: true,
  });
  await db.auditLog.create({
    data: {
      actorType: "customer",
      action: "customer.contact_verified",
      targetType: "Customer",
      targetId: customerId,
      data: { kind: "email", value: email },
    },
  });
  return { customerId, merge: undefined };
}

function hashCode(id: string, code: string): string {
  return createHash("sha256").update(`${id}:${code}`).digest("hex");
}

function sameHash(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}
