import { z } from "zod";
import { expected } from "./expected.ts";

/** Milliseconds per duration unit: seconds, minutes, hours, days, weeks. */
export const DURATION_UNITS_MS = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
} as const;

/** A whole number followed by one unit: `30s`, `10m`, `2h`, `60d`, `2w`, `0s`. */
export const DURATION_PATTERN = /^(\d+)(s|m|h|d|w)$/;

/** Parses a duration such as `10m` into milliseconds, or returns undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text);
  if (!match) return undefined;
  const ms = Number(match[1]) * DURATION_UNITS_MS[match[2] as keyof typeof DURATION_UNITS_MS];
  return Number.isSafeInteger(ms) ? ms : undefined;
}

const DURATION_EXPECTED = "a duration like 30s, 10m, 2h, 60d or 2w (a whole number and one unit)";

/** A duration in the YAML, compiled to milliseconds. */
export const Duration = z
  .string({ error: expected(DURATION_EXPECTED) })
  .regex(DURATION_PATTERN, { error: expected(DURATION_EXPECTED) })
  .refine((text) => !DURATION_PATTERN.test(text) || parseDuration(text) !== undefined, {
    error: "duration is too long: write it in a bigger unit",
  })
  .transform((text) => parseDuration(text) as number)
  .meta({ description: "A duration: a whole number and a unit, s m h d or w (30s, 10m, 2h, 60d, 2w, 0s)." });
