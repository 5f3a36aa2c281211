import { readFileSync } from "node:fs";
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { LOCALES, type Locale, toLocale } from "../lib/channels.ts";
import { InputError } from "../lib/errors.ts";
import { isTimeZone, wallTime } from "../lib/zoned-time.ts";

const Texts = z.object({ en: z.string().min(1), id: z.string().min(1), pl: z.string().min(1) }).strict();
const Hours = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, 'expected hours like "09:00-18:00"');
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

const Rule = z
  .object({
    name: z.string().min(1),
    keywords: z.array(z.string().min(1)).optional(),
    regex: z
      .string()
      .refine((r) => isRegex(r), "expected a valid regular expression")
      .optional(),
    action: z.enum(["close", "handover", "continue"]).default("continue"),
    answer: Texts,
  })
  .strict()
  .refine((r) => r.keywords?.length || r.regex, "a rule needs keywords or a regex");

/** The schema of `bots/replies.yaml`. */
export const RepliesFile = z
  .object({
    timezone: z.string().refine((tz) => isTimeZone(tz), "expected an IANA time zone such as Asia/Jakarta"),
    business_hours: z.partialRecord(z.enum(DAYS), Hours).default({}),
    rules: z.array(Rule).default([]),
  })
  .strict();

/** Auto-reply rules, compiled. */
export interface Replies {
  timezone: string;
  /** Open intervals per weekday (0 = Sunday), minutes from midnight; empty = always open. */
  hours: Map<number, { from: number; to: number }>;
  rules: Array<{
    name: string;
    action: "close" | "handover" | "continue";
    answer: Record<Locale, string>;
    test: RegExp;
  }>;
}

/** Reads and validates a replies file; a problem is reported as `file:line:col: message`. */
export function loadReplies(file: string): Replies {
  return compileReplies(readFileSync(file, "utf8"), file);
}

/** Compiles replies YAML text. */
export function compileReplies(source: string, file: string): Replies {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines });
  const where = (offset: number | undefined) => {
    const pos = lines.linePos(offset ?? 0);
    return `${file}:${pos.line}:${pos.col}`;
  };
  if (doc.errors.length)
    throw new InputError(doc.errors.map((e) => `${where(e.pos[0])}: ${e.message}`).join("\n"));
  const parsed = RepliesFile.safeParse(doc.toJS());
  if (!parsed.success) {
    throw new InputError(
      parsed.error.issues
        .map((issue) => {
          const node = doc.getIn(issue.path as Array<string | number>, true) as
            | { range?: [number] }
            | undefined;
          const parent = doc.getIn(issue.path.slice(0, -1) as Array<string | number>, true) as
            | { range?: [number] }
            | undefined;
          return `${where(node?.range?.[0] ?? parent?.range?.[0])}: ${issue.path.join(".") || "(file)"}: ${issue.message}`;
        })
        .join("\n"),
    );
  }
  const hours = new Map<number, { from: number; to: number }>();
  for (const [day, range] of Object.entries(parsed.data.business_hours)) {
    const [from, to] = range!.split("-").map(minutes);
    hours.set(DAYS.indexOf(day as (typeof DAYS)[number]), { from: from!, to: to! });
  }
  return {
    timezone: parsed.data.timezone,
    hours,
    rules: parsed.data.rules.map((rule) => ({
      name: rule.name,
      action: rule.action,
      answer: rule.answer,
      test: rule.regex
        ? new RegExp(rule.regex, "iu")
        : new RegExp(
            `(^|[^\\p{L}\\p{N}])(${rule.keywords!.map(escapeRegex).join("|")})($|[^\\p{L}\\p{N}])`,
            "iu",
          ),
    })),
  };
}

/** The first rule that fits a message, if any. */
export function matchRule(replies: Replies, text: string): Replies["rules"][number] | undefined {
  return replies.rules.find((rule) => rule.test.test(text));
}

/** True when `at` falls in business hours (in the replies' timezone); always true without hours. */
export function isOpen(replies: Replies, at: Date): boolean {
  if (replies.hours.size === 0) return true;
  const { weekday: day, minutes: now } = wallTime(at, replies.timezone);
  const open = replies.hours.get(day);
  return Boolean(open && now >= open.from && now < open.to);
}

/** The answer of a rule in a locale. */
export function answerIn(rule: Replies["rules"][number], locale: string): string {
  return rule.answer[toLocale(locale)] ?? rule.answer[LOCALES[0]];
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return h! * 60 + m!;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function isRegex(source: string): boolean {
  try {
    new RegExp(source, "iu");
    return true;
  } catch {
    return false;
  }
}
