import type { ChannelName } from "../lib/channels.ts";
import { toLocale } from "../lib/channels.ts";
import { cleanText } from "../lib/clean-text.ts";
import { type Db, isUniqueViolation, type Prisma } from "../lib/db/index.ts";

/** The client or, inside `$transaction`, its transaction (PGlite has one connection: use only `tx` there). */
type DbClient = Db | Prisma.TransactionClient;

/** Who sent something, as a platform knows them. */
export interface SenderProfile {
  /** Telegram chat id, Discord user id, X user id, web chat visitor id, or an email address. */
  externalId: string;
  handle?: string;
  displayName?: string;
  avatarUrl?: string;
  /** The platform's language tag (Telegram `language_code`), if any. */
  locale?: string;
}

/** The customer behind an identity, and whether this call created them. */
export interface ResolvedCustomer {
  customerId: string;
  identityId: string;
  created: boolean;
}

/**
 * Finds the customer behind (channel, externalId), or creates the customer and the identity. Safe under
 * concurrency: two first messages from the same person at once end as one customer.
 */
export async function resolveIdentity(
  db: DbClient,
  channel: ChannelName,
  given: SenderProfile,
): Promise<ResolvedCustomer> {
  const sender = cleanSender(given);
  const where = { channel_externalId: { channel, externalId: sender.externalId } };
  const existing = await db.identity.findUnique({ where, select: { id: true, customerId: true } });
  if (existing) {
    await db.identity.update({
      where: { id: existing.id },
      data: {
        lastSeenAt: new Date(),
        handle: sender.handle ?? undefined,
        displayName: sender.displayName ?? undefined,
        avatarUrl: sender.avatarUrl ?? undefined,
      },
    });
    return { customerId: existing.customerId, identityId: existing.id, created: false };
  }
  try {
    const customer = await db.customer.create({
      data: {
        name: sender.displayName ?? null,
        locale: toLocale(sender.locale),
        email: channel === "email" ? sender.externalId : null,
        preferredChannel: channel,
        identities: {
          create: {
            channel,
            externalId: sender.externalId,
            handle: sender.handle ?? null,
            displayName: sender.displayName ?? null,
            avatarUrl: sender.avatarUrl ?? null,
          },
        },
      },
      select: { id: true, identities: { select: { id: true } } },
    });
    return { customerId: customer.id, identityId: customer.identities[0]!.id, created: true };
  } catch (error) {
    // a concurrent first message created the identity (or the email's customer) meanwhile: use it
    if (!isUniqueViolation(error)) throw error;
    const raced = await db.identity.findUnique({ where, select: { id: true, customerId: true } });
    if (raced) return { customerId: raced.customerId, identityId: raced.id, created: false };
    throw error;
  }
}

/** Contact details a shop or importer knows about a customer. */
export interface CustomerDetails {
  email: string;
  name?: string;
  locale?: string;
  phone?: string;
  timezone?: string;
  country?: string;
}

/**
 * The customer with this email (lower-cased), created with an email identity if new. Known details fill
 * gaps; a given locale replaces the stored one (the shop knows the language the customer bought in).
 */
export async function resolveCustomerByEmail(
  db: DbClient,
  details: CustomerDetails,
): Promise<ResolvedCustomer> {
  const email = details.email.trim().toLowerCase();
  const owner = await db.customer.findUnique({ where: { email }, select: { id: true } });
  if (owner) await attachIdentity(db, owner.id, "email", email);
  const resolved = await resolveIdentity(db, "email", { externalId: email, displayName: details.name });
  const customer = await db.customer.findUniqueOrThrow({ where: { id: resolved.customerId } });
  const phoneFree =
    details.phone && !customer.phone && !(await db.customer.findUnique({ where: { phone: details.phone } }));
  await db.customer.update({
    where: { id: customer.id },
    data: {
      email: customer.email ?? email,
      name: customer.name ?? details.name ?? null,
      locale: details.locale ? toLocale(details.locale) : undefined,
      phone: phoneFree ? details.phone : undefined,
      timezone: customer.timezone ?? details.timezone ?? undefined,
      country: customer.country ?? details.country?.toUpperCase() ?? undefined,
    },
  });
  return resolved;
}

/** Adds (channel, externalId) to a customer unless that identity exists already. */
async function attachIdentity(
  db: DbClient,
  customerId: string,
  channel: ChannelName,
  externalId: string,
): Promise<void> {
  await db.identity.createMany({ data: [{ customerId, channel, externalId }], skipDuplicates: true });
}

/** The profile without U+0000 and lone surrogates, which PostgreSQL cannot store (every channel comes here). */
function cleanSender(sender: SenderProfile): SenderProfile {
  const clean = (text: string | undefined) => (text === undefined ? undefined : cleanText(text));
  return {
    ...sender,
    externalId: cleanText(sender.externalId),
    handle: clean(sender.handle),
    displayName: clean(sender.displayName),
    avatarUrl: clean(sender.avatarUrl),
    locale: clean(sender.locale),
  };
}
