import type { z } from "zod";
import { PurchaseEvent } from "../events.ts";

/**
 * What a shop's order webhook amounts to: a `purchase` ready for capture, an order with nothing to store
 * (`skipped`, with a reason), or a body we do not understand (`invalid`, with the fields at fault).
 */
export type ShopOrderResult<SkipReason extends string> =
  | { kind: "purchase"; event: PurchaseEvent }
  | { kind: "skipped"; reason: SkipReason; message: string }
  | { kind: "invalid"; message: string; issues: { path: string; message: string }[] };

/** An `invalid` result from zod issues, with the field paths spelled out. */
export function invalidOrder(
  what: string,
  zodIssues: readonly { path: readonly PropertyKey[]; message: string }[],
): { kind: "invalid"; message: string; issues: { path: string; message: string }[] } {
  const issues = zodIssues.map((i) => ({
    path: i.path.map(String).join(".") || "(body)",
    message: i.message,
  }));
  return {
    kind: "invalid",
    message: `${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
    issues,
  };
}

/** The value if `schema` accepts it, else undefined: a bad optional detail is dropped, not fatal. */
export function ifValid<T>(schema: z.ZodType<T | undefined>, value: unknown): T | undefined {
  if (value === null || value === undefined || value === "") return undefined;
  const result = schema.safeParse(value);
  return result.success ? result.data : undefined;
}

/** "First Last" from optional parts, or undefined when both are blank. */
export function fullName(
  first: string | null | undefined,
  last: string | null | undefined,
): string | undefined {
  const name = [first, last]
    .map((part) => part?.trim())
    .filter(Boolean)
    .join(" ")
    .slice(0, 200);
  return name || undefined;
}

const Customer = PurchaseEvent.shape.customer.shape;

/** True when the event schema accepts `value` as the customer's email. */
export function isEmail(value: string | undefined): value is string {
  return value !== undefined && Customer.email.safeParse(value).success;
}

/**
 * A purchase's customer from what a shop knows: the first phone that is valid E.164 once spaces, dots,
 * dashes and brackets are removed (national numbers are dropped, not guessed), and only details that pass
 * the event schema, so one bad detail never loses the order.
 */
export function customerDetails(input: {
  email?: string;
  /** The shop's own customer id, as `<shop>:<id>`. */
  externalId?: string;
  name?: string;
  phones: Array<string | null | undefined>;
  locales: Array<string | null | undefined>;
  countries: Array<string | null | undefined>;
  /** Postal addresses in order of preference, in the event's fields: the first valid one is kept. */
  addresses?: Array<Record<string, unknown> | null | undefined>;
}): PurchaseEvent["customer"] {
  const first = <T>(schema: z.ZodType<T | undefined>, values: Array<string | null | undefined>) =>
    values.map((v) => ifValid(schema, v)).find((v) => v !== undefined);
  const phone = first(
    Customer.phone,
    input.phones.map((raw) => raw?.replace(/[\s().-]/g, "")),
  );
  const locale = first(Customer.locale, input.locales);
  const country = first(Customer.country, input.countries);
  const address = (input.addresses ?? []).map((a) => ifValid(Customer.address, a ?? undefined)).find(Boolean);
  return {
    ...(address && { address }),
    ...(input.email && { email: input.email }),
    ...(input.externalId && { externalId: input.externalId }),
    ...(input.name && { name: input.name }),
    ...(locale && { locale }),
    ...(phone && { phone }),
    ...(country && { country: country.toUpperCase() }),
  };
}
