import { randomUUID } from "node:crypto";
import type { Clock } from "../lib/clock.ts";
import type { Db } from "../lib/db/index.ts";
import { replyKey } from "../lib/ids.ts";
import { recordConsent, setConsent } from "./consent.ts";
import { type ClaimSource, claimContact, claimValue } from "./contact-claims.ts";
import {
  addressDigest,
  CONFIRM_TTL_MS,
  type ConfirmLink,
  type ConfirmTokenContent,
  confirmToken,
  confirmUrl,
} from "./double-opt-in-token.ts";
import { survivorOf } from "./merge.ts";
import type { SendReply } from "./reply.ts";
import { adoptEmail, hourlyWait } from "./verification.ts";

/** The template of the confirm email (`templates/confirm-subscription/`). */
export const CONFIRM_TEMPLATE = "confirm-subscription";
/** The ConsentEvent source of a request (pending) and of its confirmation (granted). */
export const DOUBLE_OPT_IN_SOURCE = "double_opt_in";

/** What starting and confirming a double opt-in need. */
export interface DoubleOptInDeps {
  db: Db;
  clock: Clock;
  /** Queues the confirm email as a transactional Delivery (outbox without a Resend key). */
  sendReply: SendReply;
  /** HMAC key of the links (the link secret, shared with unsubscribe links). */
  secret: string;
  /** Where browsers reach this server: the links point there. */
  publicUrl: string;
  brandName: string;
}

/** Where a request came from, kept as evidence: `webchat`, `events_api`, … */
export interface DoubleOptInStart {
  starter: string;
  /**
   * Set when the address is only typed by the customer (a claim, e.g. the web chat box): it is stored as an
   * unverified claim until the link is confirmed. Leave unset for the brand's own data (the events API).
   */
  claimSource?: ClaimSource;
}

/** What asking did. Neither outcome tells whether the address belongs to anyone. */
export type DoubleOptInRequest = { kind: "sent" } | { kind: "rate_limited"; retryAfterMs: number };

/**
 * Starts a double opt-in: records email consent `pending` (source `double_opt_in`, which never replaces a yes
 * or no) and sends a signed link to `email` through the transactional email path, in the customer's locale.
 * Confirm emails share the hourly limit of verification codes per customer and per address, counted on the
 * confirm Deliveries. Nothing is merged and nothing is granted until the link's page is confirmed.
 */
export async function requestDoubleOptIn(
  deps: DoubleOptInDeps,
  customerId: string,
  email: string,
  start: DoubleOptInStart,
): Promise<DoubleOptInRequest> {
  const now = new Date(deps.clock.now());
  const owner = await survivorOf(deps.db, customerId);
  const address = claimValue("email", email);
  const sent = await deps.db.delivery.findMany({
    where: {
      template: CONFIRM_TEMPLATE,
      kind: "transactional",
      scheduledAt: { gt: new Date(now.getTime() - 3_600_000) },
      OR: [{ customerId: owner }, { recipient: address }],
    },
    select: { customerId: true, recipient: true, scheduledAt: true },
    orderBy: { scheduledAt: "asc" },
  });
  const recent = sent.map((d) => ({
    customerId: d.customerId,
    value: d.recipient ?? "",
    createdAt: d.scheduledAt,
  }));
  const retryAfterMs = hourlyWait(recent, { customerId: owner, value: address }, now);
  if (retryAfterMs !== undefined) return { kind: "rate_limited", retryAfterMs };

  const customer = await deps.db.customer.findUniqueOrThrow({
    where: { id: owner },
    select: { locale: true },
  });
  if (start.claimSource) {
    await claimContact(deps.db, owner, { kind: "email", value: address, source: start.claimSource });
  }
  await deps.db.$transaction((tx) =>
    recordConsent(tx, {
      customerId: owner,
      channel: "email",
      status: "pending",
      source: DOUBLE_OPT_IN_SOURCE,
      evidence: { address, starter: start.starter, sentAt: now.toISOString() },
      at: now,
    }),
  );
  const link: ConfirmLink = { customerId: owner, channel: "email", address, sentAt: now };
  await deps.sendReply({
    key: replyKey("double-opt-in", randomUUID()),
    customerId: owner,
    conversationId: null,
    channel: "email",
    to: address,
    text: "",
    locale: customer.locale,
    template: CONFIRM_TEMPLATE,
    data: {
      url: confirmUrl(deps.publicUrl, confirmToken(deps.secret, link)),
      days: CONFIRM_TTL_MS / 86_400_000,
      address,
      brand: { name: deps.brandName },
    },
  });
  return { kind: "sent" };
}

/** Where a link's address stands now: the customer's own, one they only claimed, or no longer theirs. */
type LinkAddress = { kind: "own" | "claimed"; address: string } | { kind: "gone" };

/** What a link's page shows: the question, that it is done, that the address is gone, or nobody. */
export type ConfirmLookup =
  | { kind: "confirm" | "done"; customerId: string; locale: string; address: string }
  | { kind: "stale"; customerId: string; locale: string }
  | { kind: "unknown_customer" };

/** Where a link stands, for its GET page. Changes nothing: mail scanners open links. */
export async function lookupConfirmation(
  db: Db,
  secret: string,
  token: ConfirmTokenContent,
): Promise<ConfirmLookup> {
  const customerId = await survivorOf(db, token.customerId);
  const customer = await db.customer.findUnique({
    where: { id: customerId },
    select: { locale: true, consent: true },
  });
  if (!customer) return { kind: "unknown_customer" };
  const found = await addressOf(db, secret, customerId, token.addressDigest);
  if (found.kind === "gone") return { kind: "stale", customerId, locale: customer.locale };
  const email = (customer.consent as Record<string, { status?: string } | undefined> | null)?.email;
  const done = found.kind === "own" && email?.status === "granted";
  return { kind: done ? "done" : "confirm", customerId, locale: customer.locale, address: found.address };
}

/** What the customer's browser sent when they confirmed: part of the evidence of the consent. */
export interface ConfirmEvidence {
  ip: string;
  userAgent: string | undefined;
}

/** What confirming did. */
export type ConfirmOutcome =
  | { kind: "granted" | "already"; customerId: string; locale: string; address: string }
  | { kind: "stale"; customerId: string; locale: string }
  | { kind: "unknown_customer" };

/**
 * Confirms a double opt-in from its link's page (a POST: the person pressed the button). Only while the
 * address is still the customer's own or a claim of theirs: a claimed address is then proven (the link
 * reached its inbox) and becomes theirs as a typed-back code would make it (bots/verification.ts, merging
 * with its holder). Records email consent `granted` (source `double_opt_in`, evidence IP, user agent, when the
 * link was sent and to which address) and lifts an opt-out suppression of the address.
 */
export async function confirmDoubleOptIn(
  db: Db,
  secret: string,
  token: ConfirmTokenContent,
  evidence: ConfirmEvidence,
  now: Date,
): Promise<ConfirmOutcome> {
  let customerId = await survivorOf(db, token.customerId);
  const customer = await db.customer.findUnique({ where: { id: customerId }, select: { locale: true } });
  if (!customer) return { kind: "unknown_customer" };
  const found = await addressOf(db, secret, customerId, token.addressDigest);
  if (found.kind === "gone") return { kind: "stale", customerId, locale: customer.locale };
  const { address } = found;
  if (found.kind === "claimed") {
    await db.contactClaim.updateMany({
      where: { customerId, kind: "email", value: address, verifiedAt: null },
      data: { verifiedAt: now },
    });
    customerId = (await adoptEmail(db, customerId, address)).customerId;
  }
  const granted = await setConsent(db, {
    customerId,
    channel: "email",
    address,
    status: "granted",
    source: DOUBLE_OPT_IN_SOURCE,
    evidence: {
      ip: evidence.ip,
      userAgent: evidence.userAgent ?? null,
      sentAt: token.sentAt.toISOString(),
      address,
    },
    at: now,
  });
  return { kind: granted ? "granted" : "already", customerId, locale: customer.locale, address };
}

/** Finds the address a link was sent to among the customer's own addresses, then among their claims. */
async function addressOf(db: Db, secret: string, customerId: string, digest: string): Promise<LinkAddress> {
  const row = await db.customer.findUniqueOrThrow({
    where: { id: customerId },
    select: {
      email: true,
      identities: { where: { channel: "email" }, select: { externalId: true } },
      contactClaims: { where: { kind: "email" }, select: { value: true } },
    },
  });
  const matches = (address: string) => addressDigest(secret, address) === digest;
  const own = [...(row.email ? [row.email] : []), ...row.identities.map((i) => i.externalId)].find(matches);
  if (own) return { kind: "own", address: own };
  const claimed = row.contactClaims.map((c) => c.value).find(matches);
  return claimed ? { kind: "claimed", address: claimed } : { kind: "gone" };
}
