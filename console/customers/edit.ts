import type { CountryCode } from "libphonenumber-js";
import { z } from "zod";
import { isLocale, LOCALES } from "../../lib/channels.ts";
import { cleanText } from "../../lib/clean-text.ts";
import { type Db, isUniqueViolation, Prisma } from "../../lib/db/index.ts";
import { toE164 } from "../../lib/phone.ts";
import { isTimeZone } from "../../lib/zoned-time.ts";
import { recordAudit } from "../auth/audit.ts";
import { type PostalAddress, postalAddress } from "../format.ts";
import { isUuid } from "./ids.ts";

const ADDRESS_LIMITS = {
  line1: 200,
  line2: 200,
  city: 100,
  postalCode: 20,
  region: 100,
  country: 2,
} as const;
type AddressPart = keyof typeof ADDRESS_LIMITS;
const ADDRESS_PARTS = Object.keys(ADDRESS_LIMITS) as AddressPart[];

const text = z.string().max(1000).overwrite(cleanText).trim().default("");

/** The profile's edit form as posted: every field text, empty meaning "none" (locale is always one). */
export const CustomerEditForm = z.object({
  name: text,
  email: text,
  phone: text,
  locale: text,
  timezone: text,
  line1: text,
  line2: text,
  city: text,
  postalCode: text,
  region: text,
  country: text,
});
export type CustomerEditForm = z.infer<typeof CustomerEditForm>;

/** A form field the edit can refuse, and why: the reason is the last part of a `customers.editError.*` text. */
export type EditField = "name" | "email" | "phone" | "locale" | "timezone" | AddressPart;
export type EditProblem = "tooLong" | "email" | "phone" | "locale" | "timezone" | "country" | "taken";

/** The customer's editable fields, as stored. */
export interface EditableCustomer {
  name: string | null;
  email: string | null;
  phone: string | null;
  locale: string;
  timezone: string | null;
  address: PostalAddress | null;
}

/** Who already holds an email address or phone number the staff member typed for this customer. */
export interface ContactOwner {
  id: string;
  name: string | null;
  email: string | null;
}

/** What an edit did, or why it did not. */
export type EditResult =
  | { kind: "saved"; changed: Array<keyof EditableCustomer> }
  | { kind: "unchanged" }
  | {
      kind: "invalid";
      errors: Partial<Record<EditField, EditProblem>>;
      owners: { email?: ContactOwner; phone?: ContactOwner };
    }
  | { kind: "not_found" };

const EMAIL = z.email();

/**
 * The form read into stored values, or the fields it refuses: the email lower-cased, the phone in E.164 (a
 * national number is read in the customer's country), the locale one of en/id/pl, the time zone an IANA name
 * Intl knows, the address's country a two-letter code. Pure: no database.
 */
export function readEditForm(
  form: CustomerEditForm,
  region: string | null,
):
  | { kind: "ok"; values: EditableCustomer }
  | { kind: "invalid"; errors: Partial<Record<EditField, EditProblem>> } {
  const errors: Partial<Record<EditField, EditProblem>> = {};
  if (form.name.length > 200) errors.name = "tooLong";
  const email = form.email.toLowerCase();
  if (email && (email.length > 320 || !EMAIL.safeParse(email).success)) errors.email = "email";
  const phone = form.phone ? toE164(form.phone, (region ?? undefined) as CountryCode | undefined) : null;
  if (phone === undefined) errors.phone = "phone";
  if (!isLocale(form.locale)) errors.locale = "locale";
  if (form.timezone && !isTimeZone(form.timezone)) errors.timezone = "timezone";
  const address: PostalAddress = {};
  for (const part of ADDRESS_PARTS) {
    const value = part === "country" ? form.country.toUpperCase() : form[part];
    if (!value) continue;
    if (part === "country" && !/^[A-Z]{2}$/.test(value)) errors.country = "country";
    else if (value.length > ADDRESS_LIMITS[part]) errors[part] = "tooLong";
    address[part] = value;
  }
  if (Object.keys(errors).length > 0) return { kind: "invalid", errors };
  return {
    kind: "ok",
    values: {
      name: form.name || null,
      email: email || null,
      phone: phone ?? null,
      locale: form.locale,
      // as Intl spells it ("asia/jakarta" → "Asia/Jakarta"), the name PostgreSQL and the fan-out read
      timezone: form.timezone
        ? new Intl.DateTimeFormat("en", { timeZone: form.timezone }).resolvedOptions().timeZone
        : null,
      address: postalAddress(address),
    },
  };
}

/** The fields whose value differs, with before and after: what the audit keeps. */
export function changedFields(
  before: EditableCustomer,
  after: EditableCustomer,
): Partial<Record<keyof EditableCustomer, { before: unknown; after: unknown }>> {
  const changes: Partial<Record<keyof EditableCustomer, { before: unknown; after: unknown }>> = {};
  for (const key of Object.keys(after) as Array<keyof EditableCustomer>) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      changes[key] = { before: before[key], after: after[key] };
    }
  }
  return changes;
}

/** The live customer holding a contact, other than `id`: on the customer row, or as an identity. */
async function otherOwner(
  tx: Prisma.TransactionClient,
  id: string,
  field: "email" | "phone",
  value: string,
): Promise<ContactOwner | undefined> {
  const byRow = await tx.customer.findFirst({
    where: { [field]: value, id: { not: id } },
    select: { id: true, mergedIntoId: true },
  });
  const identity = byRow
    ? undefined
    : await tx.identity.findFirst({
        where: { channel: field, externalId: value, customerId: { not: id } },
        select: { customerId: true },
      });
  const ownerId = byRow ? (byRow.mergedIntoId ?? byRow.id) : identity?.customerId;
  if (!ownerId || ownerId === id) return undefined;
  const owner = await tx.customer.findUnique({
    where: { id: ownerId },
    select: { id: true, name: true, email: true },
  });
  return owner ?? undefined;
}

/**
 * Saves a staff member's edit of a customer's name, email, phone, language, time zone and address, with an
 * audit entry `customer.edit` holding before and after of the changed fields only.
 *
 * What staff type is the brand's own data (DESIGN.md "Identity and trust"), so it is stored as the
 * customer's own contact, and a new email address also becomes an email identity (mail from it reaches this
 * customer, as for an import). It never takes a contact away from anyone: an email or phone that another
 * customer holds (on their record or as an identity) is refused with who holds it, for a merge instead. The
 * old address's identity stays: mail from it still belongs to this customer's history.
 */
export async function editCustomer(
  db: Db,
  customerId: string,
  form: CustomerEditForm,
  actor: { staffUserId: string; at: Date },
): Promise<EditResult> {
  if (!isUuid(customerId)) return { kind: "not_found" };
  try {
    return await saveEdit(db, customerId.toLowerCase(), form, actor);
  } catch (error) {
    // another customer took the address between the check and the save: checked again, it is refused as theirs
    if (isUniqueViolation(error)) return saveEdit(db, customerId.toLowerCase(), form, actor);
    throw error;
  }
}

function saveEdit(
  db: Db,
  id: string,
  form: CustomerEditForm,
  actor: { staffUserId: string; at: Date },
): Promise<EditResult> {
  return db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<Array<{ id: string }>>`
      SELECT id FROM "Customer" WHERE id = ${id}::uuid AND "mergedIntoId" IS NULL FOR UPDATE`;
    if (rows.length === 0) return { kind: "not_found" } as const;
    const row = await tx.customer.findUniqueOrThrow({ where: { id } });
    const read = readEditForm(form, row.country ?? postalAddress(row.address)?.country ?? null);
    if (read.kind === "invalid") return { ...read, owners: {} };
    const before: EditableCustomer = {
      name: row.name,
      email: row.email,
      phone: row.phone,
      locale: row.locale,
      timezone: row.timezone,
      address: postalAddress(row.address),
    };
    const changes = changedFields(before, read.values);
    const changed = Object.keys(changes) as Array<keyof EditableCustomer>;
    if (changed.length === 0) return { kind: "unchanged" } as const;
    const owners: { email?: ContactOwner; phone?: ContactOwner } = {};
    for (const field of ["email", "phone"] as const) {
      const value = read.values[field];
      if (changes[field] && value) owners[field] = await otherOwner(tx, id, field, value);
    }
    if (owners.email || owners.phone) {
      const errors: Partial<Record<EditField, EditProblem>> = {};
      if (owners.email) errors.email = "taken";
      if (owners.phone) errors.phone = "taken";
      return { kind: "invalid", errors, owners } as const;
    }
    const { address, ...rest } = read.values;
    await tx.customer.update({
      where: { id },
      data: { ...rest, address: address ? { ...address } : Prisma.DbNull },
    });
    if (changes.email && read.values.email) {
      await tx.identity.createMany({
        data: [{ customerId: id, channel: "email", externalId: read.values.email }],
        skipDuplicates: true,
      });
    }
    await recordAudit(tx, {
      staffUserId: actor.staffUserId,
      action: "customer.edit",
      targetType: "Customer",
      targetId: id,
      data: changes as Prisma.InputJsonValue,
      at: actor.at,
    });
    return { kind: "saved", changed } as const;
  });
}

/** The form's values for a customer as stored: what the edit page starts from. */
export function editFormOf(customer: EditableCustomer): CustomerEditForm {
  const address = customer.address ?? {};
  return {
    name: customer.name ?? "",
    email: customer.email ?? "",
    phone: customer.phone ?? "",
    locale: customer.locale,
    timezone: customer.timezone ?? "",
    line1: address.line1 ?? "",
    line2: address.line2 ?? "",
    city: address.city ?? "",
    postalCode: address.postalCode ?? "",
    region: address.region ?? "",
    country: address.country ?? "",
  };
}

/** The languages a customer can have, for the form's select. */
export const EDIT_LOCALES = LOCALES;
