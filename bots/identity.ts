/**
 * # Identity and trust
 *
 * Every path that turns something from outside into a customer, and what it believes. The rule: a contact
 * someone types or shows is a claim (`ContactClaim`, contact-claims.ts) kept on the writer's own customer; it
 * never merges customers, never fills `Customer.email`/`phone`, never adds an Identity and never widens what
 * anyone can read. Customers merge only on proof. What a web chat visitor can read is what their own session
 * wrote and was sent (webchat/visitors.ts `visitorHistory`).
 *
 * | path | identifies the sender by | trusts (may merge) | keeps only as a claim |
 * | --- | --- | --- | --- |
 * | web chat | the visitor id, proven by its HMAC token (webchat/token.ts) | an email once the 6-digit code sent there is typed back (verification.ts: 10 min, 5 attempts, 3 sends an hour per customer and per address) | the identify form's email until then; an email typed in a message |
 * | Telegram | `from.id`, authenticated by Telegram (webhook `secret_token` or our polling) | the sender's own contact card (`contact.user_id === from.id`: Telegram only sends that from the number's own account) → `sharedPhone`, merged by phone | a contact card of someone else (`claimedPhone`); an email typed in a message |
 * | WhatsApp | the sender's `wa_id`, in a notification signed by Meta (`X-Hub-Signature-256` with the app secret) | the `wa_id` itself: it is the phone number WhatsApp verified when the account was registered → `sharedPhone`, merged by phone | a contact card (`contacts` message) of any number but the sender's own (`claimedPhone`); an email typed in a message |
 * | SMS | the From number of a message Twilio received from the carrier network, in a webhook Twilio signs (`X-Twilio-Signature` with the auth token) | the number itself: the message came from the phone that holds it → `sharedPhone`, merged by phone | an email typed in a message |
 * | Discord | the gateway's author id | nothing beyond the id | an email typed in a message |
 * | X | the API's author id | nothing beyond the id | an email typed in a post or DM |
 * | inbound email | the From address (Resend's webhook is signed, the From is not: it is the sender's claim) | nothing: the message lands with the customer holding the email identity of that address, and every answer goes back to that same address, so a forged From reaches the real owner's mailbox and reveals nothing to the forger | addresses in the body are neither claims nor links (signatures, colleagues) |
 * | events API (`POST /api/events`) | HMAC of the body with the webhook secret: the brand's own system | the customer's `externalId`, email or phone, in that order: `resolveCustomerByContact` makes or finds that customer (the other contacts only when free); it never joins a chat customer | — |
 * | shop webhooks (Shopify, WooCommerce) | the shop's HMAC signature | as the events API: the shop verified the buyer's email by selling to it | — |
 * | `/link` (any chat) | a code issued in one authenticated chat, typed in another within 10 minutes, once | both sides: the two customers merge (reason `link_code`); a code sent by email is refused (the From proves nothing) | — |
 * | calls (Twilio voice webhook, `POST /api/calls`) | the caller id (`From`, E.164): Twilio's signature or a `calls:write` token proves who reported the call, not who is calling, since caller ids can be spoofed | nothing: it finds the customer whose own phone (`Customer.phone`, put there by the brand's data or a platform's verification) is that number, else the one an earlier call on it made (`phone` identity), for the screen pop and the history only (phone/calls.ts `customerOfCaller`); it never merges, never sets `Customer.phone`, never sends anything back and shows the caller nothing. An unknown number becomes a new customer with only a `phone` identity | — |
 * | console staff merge | an admin, signed in, with CSRF | whatever the admin joins (reason `staff`, audited with who); "possibly the same person as …" suggests it from claims | — |
 *
 * Why the inbound email From is not proof: SMTP lets anyone write any From, and we do not check DMARC.
 * Threading by it is safe only because of where answers go; it must never merge that customer with another's
 * chats or show their history anywhere the sender could read it, so `/link` codes are not taken by email.
 * Left as it is: `/stop` and `/start` by email change that address's email marketing consent on the From's
 * word (as a mail client's unsubscribe reply would).
 */
import type { ChannelName } from "../lib/channels.ts";
import { toLocale } from "../lib/channels.ts";
import { cleanId, cleanText } from "../lib/clean-text.ts";
import { type Db, isUniqueViolation, type Prisma } from "../lib/db/index.ts";
import { survivorOf } from "./merge.ts";

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
  /** The postal address ({ line1, line2, city, postalCode, region, country }): replaces the stored one. */
  address?: Record<string, string>;
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

/** What a brand's system (events API, shop, import) knows of a customer: at least one of email, phone, externalId. */
export interface CustomerContact extends Omit<CustomerDetails, "email"> {
  email?: string;
  /** The brand's own id of the customer (`Customer.externalId`). */
  externalId?: string;
}

/**
 * The customer a brand's own system names, made if new. The brand's data is trusted for identity, in this
 * order: its own customer id (`externalId`), then the email (as {@link resolveCustomerByEmail}), then the
 * phone (E.164). The contacts the match did not use fill the customer's gaps only while no other customer
 * holds them, so a shop's typo never takes over someone else's address.
 */
export async function resolveCustomerByContact(
  db: DbClient,
  details: CustomerContact,
): Promise<{ customerId: string; created: boolean }> {
  const externalId = details.externalId?.trim() || undefined;
  const email = details.email?.trim().toLowerCase() || undefined;
  const byExternal = externalId
    ? await db.customer.findUnique({ where: { externalId }, select: { id: true } })
    : null;
  let resolved: { customerId: string; created: boolean } | undefined;
  if (byExternal) resolved = { customerId: await survivorOf(db, byExternal.id), created: false };
  else if (email) resolved = await resolveCustomerByEmail(db, { ...details, email });
  else if (details.phone) {
    const byPhone = await db.customer.findUnique({ where: { phone: details.phone }, select: { id: true } });
    if (byPhone) resolved = { customerId: byPhone.id, created: false };
  }
  if (!resolved) {
    const created = await db.customer.create({
      data: { phone: details.phone ?? null },
      select: { id: true },
    });
    resolved = { customerId: created.id, created: true };
  }
  const customer = await db.customer.findUniqueOrThrow({ where: { id: resolved.customerId } });
  const free = async (field: "email" | "phone" | "externalId", value: string | undefined) =>
    value !== undefined &&
    customer[field] === null &&
    !(await db.customer.findFirst({ where: { [field]: value }, select: { id: true } }));
  const [emailFree, phoneFree, externalFree] = await Promise.all([
    free("email", email),
    free("phone", details.phone),
    free("externalId", externalId),
  ]);
  await db.customer.update({
    where: { id: customer.id },
    data: {
      ...(emailFree && { email }),
      ...(phoneFree && { phone: details.phone }),
      ...(externalFree && { externalId }),
      name: customer.name ?? details.name ?? null,
      locale: details.locale ? toLocale(details.locale) : undefined,
      timezone: customer.timezone ?? details.timezone ?? undefined,
      country: customer.country ?? details.country?.toUpperCase() ?? details.address?.country ?? undefined,
      ...(details.address && { address: details.address }),
    },
  });
  if (emailFree) await attachIdentity(db, customer.id, "email", email!);
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
    externalId: cleanId(sender.externalId),
    handle: clean(sender.handle),
    displayName: clean(sender.displayName),
    avatarUrl: clean(sender.avatarUrl),
    locale: clean(sender.locale),
  };
}
