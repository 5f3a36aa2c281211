import { z } from "zod";
import { isTimeZone } from "../lib/zoned-time.ts";
import { didYouMean } from "./suggest.ts";

/** The word that sends a scheduled campaign at the given wall time in each customer's own timezone. */
export const CUSTOMER_TIMEZONE = "customer";

function timeZoneMessage(input: unknown): string {
  const base = "expected an IANA timezone like Europe/Warsaw or Asia/Jakarta, or customer";
  if (input === undefined) return base;
  if (typeof input !== "string") return `${base}, got ${JSON.stringify(input)}`;
  const names = [...Intl.supportedValuesOf("timeZone"), CUSTOMER_TIMEZONE];
  return `unknown timezone '${input}'${didYouMean(input, names, `: ${base}`)}`;
}

/** A schedule's timezone: an IANA name, or `customer` for each customer's own. */
export const TimeZone = z
  .string({ error: (issue) => timeZoneMessage(issue.input) })
  .refine((name) => name === CUSTOMER_TIMEZONE || isTimeZone(name), {
    error: (issue) => timeZoneMessage(issue.input),
  })
  .meta({
    description: "An IANA timezone (Europe/Warsaw, Asia/Jakarta, UTC), or customer for each customer's own.",
  });
