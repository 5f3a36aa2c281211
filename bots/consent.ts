import type { ChannelName } from "../lib/channels.ts";
import type { Db, Prisma } from "../lib/db/index.ts";

type Tx = Prisma.TransactionClient;

/** A customer's marketing answer on a channel. `pending`: a double opt-in link went out, not yet confirmed. */
export type ConsentStatus = "granted" | "denied" | "pending";

/** The latest answer per channel, as `Customer.consent` holds it. */
export interface ConsentEntry {
  status: ConsentStatus;
  /** When the customer made the choice (ISO). */
  at: string;
  /** The source of the ConsentEvent that set it. */
  via: string;
}

/** One change of consent to record: who, which channel, what, where it came from and what proves it. */
export interface ConsentChange {
  customerId: string;
  channel: ChannelName;
  status: ConsentStatus;
  /**
   * double_opt_in, shopify, events_api, chat_start, chat_stop, unsubscribe_link, resend_complaint, staff, …
   * A bounce is no answer of the customer's: it suppresses the address (bots/email/resend-events.ts) and
   * leaves consent as it was.
   */
  source: string;
  /** What was seen: form, IP address, message id, staff user and reason, the provider's fields. */
  evidence?: Record<string, unknown>;
  /** When the customer made the choice, as the source tells it. */
  at: Date;
}

/** The customer's latest consent on a channel, read from the `Customer.consent` column. */
export function consentEntry(consent: unknown, channel: ChannelName): ConsentEntry | undefined {
  const entry = (consent as Record<string, Partial<ConsentEntry> | undefined> | null)?.[channel];
  if (!entry || typeof entry.status !== "string") return undefined;
  return { status: entry.status, at: entry.at ?? "", via: entry.via ?? "" };
}

/**
 * Records a change of a customer's marketing consent inside `tx`: appends a ConsentEvent (the history, never
 * edited) and sets the channel's latest answer on `Customer.consent`. The customer row is locked first, so
 * concurrent changes cannot lose each other. Nothing is written when the answer is the current one, or when
 * it is older than the current one (a late webhook cannot undo a newer choice); `pending` (a request not yet
 * confirmed) is kept in the history but never replaces a granted or denied answer. Returns whether anything
 * was recorded.
 */
export async function recordConsent(tx: Tx, change: ConsentChange): Promise<boolean> {
  await tx.$queryRaw`SELECT id FROM "Customer" WHERE id = ${change.customerId}::uuid FOR UPDATE`;
  const customer = await tx.customer.findUnique({
    where: { id: change.customerId },
    select: { consent: true },
  });
  if (!customer) return false;
  const current = consentEntry(customer.consent, change.channel);
  if (current?.status === change.status) return false;
  if (current?.at && new Date(current.at).getTime() > change.at.getTime()) return false;
  // a request awaiting confirmation is history, never an answer: it replaces neither a yes nor a no
  const answered = current?.status === "granted" || current?.status === "denied";
  if (!(change.status === "pending" && answered)) {
    const consent = { ...((customer.consent ?? {}) as Record<string, unknown>) };
    consent[change.channel] = {
      status: change.status,
      at: change.at.toISOString(),
      via: change.source,
    } satisfies ConsentEntry;
    await tx.customer.update({
      where: { id: change.customerId },
      data: { consent: consent as Prisma.InputJsonValue },
    });
  }
  await tx.consentEvent.create({
    data: {
      customerId: change.customerId,
      channel: change.channel,
      status: change.status,
      source: change.source,
      evidence: (change.evidence ?? {}) as Prisma.InputJsonValue,
      at: change.at,
    },
  });
  return true;
}

/**
 * Records a customer's marketing choice on one channel (a ConsentEvent, see {@link recordConsent}) and its
 * suppression: `denied` adds a Suppression for the address (checked again at send time); `granted` removes
 * an opt-out suppression (never a bounce or complaint).
 */
export async function setConsent(
  db: Db,
  input: ConsentChange & { address: string; status: "granted" | "denied" },
): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const changed = await recordConsent(tx, input);
    if (input.status === "denied") {
      await tx.suppression.upsert({
        where: { channel_address: { channel: input.channel, address: input.address } },
        create: {
          channel: input.channel,
          address: input.address,
          customerId: input.customerId,
          reason: "stopped",
          source: input.source,
        },
        update: {},
      });
    } else {
      await tx.suppression.deleteMany({
        where: {
          channel: input.channel,
          address: input.address,
          reason: { in: ["stopped", "unsubscribed"] },
        },
      });
    }
    return changed;
  });
}
