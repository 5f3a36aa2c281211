import { z } from "zod";
import { cronProblem } from "./cron.ts";
import { Duration } from "./duration.ts";
import { expected } from "./expected.ts";
import { freeMap, identifier } from "./names.ts";
import { TimeZone } from "./timezone.ts";

/** What starts a campaign for a customer, compiled: delays and windows in milliseconds. */
export type CampaignTrigger =
  | { kind: "event"; event: string; delayMs: number; where: Record<string, unknown> }
  | { kind: "inactive"; forMs: number; since: "last_purchase" | "last_interaction" }
  | { kind: "schedule"; cron?: string; at?: string; timezone: string }
  | { kind: "segment_entered"; segment: string };

/** The trigger keys; a trigger has exactly one. */
export const TRIGGER_KINDS = ["event", "inactive", "schedule", "segment_entered"] as const;

const EventName = identifier("an event name like purchase or cart_abandoned");

const EventMap = z.strictObject({
  type: EventName.meta({ description: "The event that starts the campaign: purchase, refund, rating, …" }),
  delay: Duration.optional().meta({ description: "How long to wait after the event. Defaults to 0s." }),
  where: freeMap("a map of event properties to the values they must have").optional().meta({
    description: "Only events whose properties have these values, e.g. { currency: IDR }.",
  }),
});

const Inactive = z.strictObject({
  for: Duration.meta({ description: "How long the customer has been quiet, e.g. 60d." }),
  since: z
    .enum(["last_purchase", "last_interaction"], { error: expected("last_purchase or last_interaction") })
    .default("last_interaction")
    .meta({ description: "What counts as activity. Defaults to last_interaction." }),
});

/**
 * Runs a map's cross-key check even when a value inside is wrong (so every problem shows at once), but not
 * when the map is not a map or has a misspelt key: "unknown key 'inactiv'" already says what is wrong.
 */
function keysAreKnown(payload: z.core.ParsePayload): boolean {
  const value = payload.value;
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !payload.issues.some((issue) => issue.code === "unrecognized_keys" && (issue.path?.length ?? 0) === 0) &&
    !payload.issues.some((issue) => issue.code === "invalid_type" && (issue.path?.length ?? 0) === 0)
  );
}

const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

function isLocalDateTime(text: string): boolean {
  const m = LOCAL_DATE_TIME.exec(text);
  if (!m) return false;
  const [year, month, day, hour, minute, second = 0] = m.slice(1).map(Number) as number[];
  const date = new Date(Date.UTC(year!, month! - 1, day!, hour, minute, second));
  return date.getUTCMonth() === month! - 1 && date.getUTCDate() === day && hour! < 24 && minute! < 60;
}

const AT_EXPECTED = expected(
  "a local date and time like 2026-12-01T09:00:00 (no offset: timezone says where)",
);

const Schedule = z
  .strictObject({
    cron: z
      .string({ error: expected('a cron expression like "0 9 * * 1"') })
      .superRefine((cron, ctx) => {
        const problem = cronProblem(cron);
        if (problem) ctx.addIssue({ code: "custom", message: problem, input: cron });
      })
      .optional()
      .meta({ description: 'A 5-field cron expression, e.g. "0 9 * * 1" (09:00 every Monday).' }),
    at: z
      .string({ error: AT_EXPECTED })
      .refine(isLocalDateTime, { error: AT_EXPECTED })
      .optional()
      .meta({ description: "One send at this local time, e.g. 2026-12-01T09:00:00." }),
    timezone: TimeZone,
  })
  .refine((s) => (s.cron === undefined) !== (s.at === undefined), {
    error: "schedule needs exactly one of cron (repeating) or at (once)",
    when: keysAreKnown,
  });

const SegmentEntered = z.strictObject({
  segment: identifier("a segment name like vip").meta({ description: "The segment (segments.yaml)." }),
});

function presentKinds(trigger: object): string[] {
  return TRIGGER_KINDS.filter(
    (kind) => kind in trigger && (trigger as Record<string, unknown>)[kind] !== undefined,
  );
}

/** The `trigger:` map: exactly one of event, inactive, schedule, segment_entered. */
export const Trigger = z
  .strictObject(
    {
      event: z
        .union([EventName, EventMap], {
          error: expected("an event name (event: purchase) or a map (event: { type: purchase, delay: 10m })"),
        })
        .optional()
        .meta({ description: "When the customer does something: purchase, or { type, delay, where }." }),
      delay: Duration.optional().meta({
        description: "How long to wait, beside the shorthand event: <name>. Defaults to 0s.",
      }),
      inactive: Inactive.optional().meta({ description: "When the customer has been quiet for a while." }),
      schedule: Schedule.optional().meta({ description: "At fixed times: cron or at, and a timezone." }),
      segment_entered: SegmentEntered.optional().meta({ description: "When the customer joins a segment." }),
    },
    { error: expected("a map with one of event, inactive, schedule, segment_entered") },
  )
  .superRefine(
    (trigger, ctx) => {
      const kinds = presentKinds(trigger);
      if (kinds.length !== 1) {
        const found = kinds.length === 0 ? "none" : kinds.join(" and ");
        ctx.addIssue({
          code: "custom",
          message: `a trigger needs exactly one of ${TRIGGER_KINDS.join(", ")}; found ${found}`,
        });
      } else if (trigger.delay !== undefined && typeof trigger.event !== "string") {
        ctx.addIssue({
          code: "custom",
          path: ["delay"],
          message: "delay goes beside the shorthand event: <name>, or inside event: { type, delay }",
        });
      }
    },
    { when: keysAreKnown },
  )
  .transform((t, ctx): CampaignTrigger => {
    // Zod still transforms a map with a misspelt key; its issues already fail the parse.
    if (ctx.issues.length > 0) return z.NEVER;
    if (t.inactive) return { kind: "inactive", forMs: t.inactive.for, since: t.inactive.since };
    if (t.schedule) {
      const { cron, at, timezone } = t.schedule;
      return { kind: "schedule", ...(cron !== undefined ? { cron } : { at: at! }), timezone };
    }
    if (t.segment_entered) return { kind: "segment_entered", segment: t.segment_entered.segment };
    const event = typeof t.event === "string" ? { type: t.event, delay: t.delay } : t.event!;
    return { kind: "event", event: event.type, delayMs: event.delay ?? 0, where: event.where ?? {} };
  });
