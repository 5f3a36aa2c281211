import { z } from "zod";
import { type Db, isUniqueViolation } from "../../lib/db/index.ts";
import { recordAudit } from "../auth/audit.ts";
import type { Acting } from "./actions.ts";

/** The placeholders a canned response may use; each is filled when the response is picked. */
export const CANNED_PLACEHOLDERS = [
  "customer.name",
  "customer.firstName",
  "brand",
  "agent.name",
  "agent.firstName",
] as const;

/** A canned response as the admin page edits it. */
export const CannedForm = z.object({
  shortcut: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/),
  locale: z
    .string()
    .trim()
    .regex(/^[a-z]{2,3}$/),
  title: z.string().trim().min(1).max(120),
  body: z.string().trim().min(1).max(4000),
});
export type CannedForm = z.infer<typeof CannedForm>;

/** A canned response. */
export interface Canned {
  id: string;
  shortcut: string;
  locale: string;
  title: string;
  body: string;
}

/** What saving a canned response did. */
export type CannedResult = { kind: "saved"; id: string } | { kind: "exists" } | { kind: "not_found" };

/** Every canned response, by shortcut then locale. */
export function listCanned(db: Db): Promise<Canned[]> {
  return db.cannedResponse.findMany({
    orderBy: [{ shortcut: "asc" }, { locale: "asc" }],
    select: { id: true, shortcut: true, locale: true, title: true, body: true },
  });
}

/**
 * The responses for a customer's language: each shortcut in their locale, else in English (the fallback of
 * every text), by shortcut.
 */
export async function cannedFor(db: Db, locale: string): Promise<Canned[]> {
  const base = locale.toLowerCase().split("-")[0] ?? "en";
  const rows = await db.cannedResponse.findMany({
    where: { locale: { in: [...new Set([base, "en"])] } },
    orderBy: { shortcut: "asc" },
    select: { id: true, shortcut: true, locale: true, title: true, body: true },
  });
  const byShortcut = new Map<string, Canned>();
  for (const row of rows) {
    const kept = byShortcut.get(row.shortcut);
    if (!kept || (row.locale === base && kept.locale !== base)) byShortcut.set(row.shortcut, row);
  }
  return [...byShortcut.values()];
}

/** What fills the placeholders of a canned response. */
export interface PlaceholderValues {
  /** The customer's own name (or the channel's name for them); null when none is known. */
  customerName: string | null;
  brand: string;
  agentName: string;
}

/** A canned response filled for one customer. */
export interface FilledCanned {
  text: string;
  /**
   * The placeholders that have no value for this customer and no fallback, as written (`{{customer.name}}`):
   * they stay in the text, and a reply with them is refused ({@link unfilledPlaceholders}).
   */
  empty: string[];
}

/** `{{customer.name}}`, or with a fallback for a customer without one: `{{default customer.firstName "there"}}`. */
const PLACEHOLDER = /\{\{\s*(?:default\s+([\w.]+)\s+"([^"]*)"|([\w.]+))\s*\}\}/g;

/**
 * A canned response's body with its placeholders filled. A placeholder written with a fallback
 * (`{{default customer.firstName "there"}}`, as in message templates) takes the fallback when the customer has
 * no value; one without a fallback stays as written and is listed in `empty`, never rendered as nothing
 * ("Hi ,"). An unknown placeholder stays as written too, so it is seen before sending.
 */
export function fillPlaceholders(body: string, values: PlaceholderValues): FilledCanned {
  const first = (name: string | null) => name?.trim().split(/\s+/)[0] ?? "";
  const filled: Record<(typeof CANNED_PLACEHOLDERS)[number], string> = {
    "customer.name": values.customerName?.trim() ?? "",
    "customer.firstName": first(values.customerName),
    brand: values.brand.trim(),
    "agent.name": values.agentName.trim(),
    "agent.firstName": first(values.agentName),
  };
  const empty = new Set<string>();
  const text = body.replace(PLACEHOLDER, (whole, withFallback: string, fallback: string, plain: string) => {
    const name = withFallback ?? plain;
    if (!Object.hasOwn(filled, name)) return whole;
    const value = filled[name as keyof typeof filled];
    if (value) return value;
    if (withFallback !== undefined && fallback.trim()) return fallback;
    empty.add(whole);
    return whole;
  });
  return { text, empty: [...empty] };
}

/**
 * The known placeholders still written in a reply (`{{customer.firstName}}`, with or without a fallback): a
 * canned response's placeholder that was empty for the customer, left for staff to fill. Such a reply is not
 * sent: the customer would read the braces.
 */
export function unfilledPlaceholders(text: string): string[] {
  const names = new Set<string>(CANNED_PLACEHOLDERS);
  const found = [...text.matchAll(PLACEHOLDER)].filter((m) => names.has(m[1] ?? m[3] ?? ""));
  return [...new Set(found.map((m) => m[0]))];
}

/** Adds a canned response. Audited as `canned.create`. */
export async function createCanned(db: Db, form: CannedForm, acting: Acting): Promise<CannedResult> {
  try {
    return await db.$transaction(async (tx) => {
      const row = await tx.cannedResponse.create({ data: form, select: { id: true } });
      await recordAudit(tx, {
        staffUserId: acting.staffUserId,
        action: "canned.create",
        targetType: "CannedResponse",
        targetId: row.id,
        data: { shortcut: form.shortcut, locale: form.locale },
        at: acting.now,
      });
      return { kind: "saved" as const, id: row.id };
    });
  } catch (error) {
    if (isUniqueViolation(error)) return { kind: "exists" };
    throw error;
  }
}

/** Changes a canned response. Audited as `canned.update`. */
export async function updateCanned(
  db: Db,
  id: string,
  form: CannedForm,
  acting: Acting,
): Promise<CannedResult> {
  try {
    return await db.$transaction(async (tx) => {
      const updated = await tx.cannedResponse.updateMany({ where: { id }, data: form });
      if (updated.count === 0) return { kind: "not_found" as const };
      await recordAudit(tx, {
        staffUserId: acting.staffUserId,
        action: "canned.update",
        targetType: "CannedResponse",
        targetId: id,
        data: { shortcut: form.shortcut, locale: form.locale },
        at: acting.now,
      });
      return { kind: "saved" as const, id };
    });
  } catch (error) {
    if (isUniqueViolation(error)) return { kind: "exists" };
    throw error;
  }
}

/** Deletes a canned response. Audited as `canned.delete`. Returns whether there was one. */
export async function deleteCanned(db: Db, id: string, acting: Acting): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const gone = await tx.cannedResponse.findUnique({ where: { id } });
    if (!gone) return false;
    await tx.cannedResponse.delete({ where: { id } });
    await recordAudit(tx, {
      staffUserId: acting.staffUserId,
      action: "canned.delete",
      targetType: "CannedResponse",
      targetId: id,
      data: { shortcut: gone.shortcut, locale: gone.locale },
      at: acting.now,
    });
    return true;
  });
}
