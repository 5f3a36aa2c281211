import type { z } from "zod";
import type { PurchaseEvent } from "../events.ts";

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
export function ifValid<T>(
  schema: z.ZodType<T | undefined>,
  value: string | null | undefined,
): T | undefined {
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
