import { parsePhoneNumberWithError } from "libphonenumber-js";
import { cleanId } from "../../lib/clean-text.ts";
import { type Db, isUniqueViolation, type Prisma } from "../../lib/db/index.ts";
import { survivorOf } from "../merge.ts";

/** Where a call stands, whatever phone system reports it. */
export const CALL_STATES = ["ringing", "answered", "ended", "missed"] as const;
export type CallState = (typeof CALL_STATES)[number];

/** A later state never goes back to an earlier one (status callbacks can arrive out of order). */
const RANK: Record<CallState, number> = { ringing: 0, answered: 1, ended: 2, missed: 2 };

/** One report of a call from a phone system: Twilio's webhook or `POST /api/calls`. */
export interface CallReport {
  /** Who reported it: `twilio` or `api`; with `callId` it makes the interaction's unique platform id. */
  source: "twilio" | "api";
  /** The phone system's id of the call (Twilio's CallSid). */
  callId: string;
  /** The customer's number, E.164 (see {@link toE164}). */
  customerNumber: string;
  /** The brand's number that was called (or called from), as the phone system gave it. */
  brandNumber: string;
  direction: "inbound" | "outbound";
  state: CallState;
  durationSeconds?: number;
  /** The staff member (id or email) the phone system put the call through to, if it says. */
  agent?: string;
  at: Date;
  /** The phone system's own payload, kept for audit. */
  raw: unknown;
}

/** What {@link recordCall} did. */
export interface RecordedCall {
  interactionId: string;
  conversationId: string;
  customerId: string;
  /** The call's state after this report (an out-of-order earlier state leaves the later one). */
  state: CallState;
  durationSeconds: number | null;
  /** True when this report created the interaction (the first report of this call). */
  created: boolean;
  /** True when the stored call changed (false for a repeated or out-of-order report). */
  changed: boolean;
  /** True when the caller was unknown and this call created their customer. */
  newCustomer: boolean;
}

/** The caller's number in E.164, or undefined when it is not a possible phone number (withheld, "anonymous"). */
export function toE164(raw: string): string | undefined {
  try {
    const parsed = parsePhoneNumberWithError(raw.trim());
    return parsed.isPossible() ? parsed.number : undefined;
  } catch {
    return undefined;
  }
}

/** The interaction's platform id: one row per call, whatever number of reports. */
export function callExternalId(source: CallReport["source"], callId: string): string {
  return `${source}:${cleanId(callId)}`;
}

/** What the stored call holds in `Interaction.raw`. */
export interface StoredCall {
  call: {
    source: CallReport["source"];
    callId: string;
    customerNumber: string;
    brandNumber: string;
    direction: "inbound" | "outbound";
    state: CallState;
    durationSeconds: number | null;
    agent: string | null;
    startedAt: string;
    updatedAt: string;
  };
  /** Every report, oldest first (at most {@link MAX_REPORTS}). */
  reports: unknown[];
}

const MAX_REPORTS = 20;

/** The call in an interaction's `raw`, if it is one. */
export function storedCall(raw: unknown): StoredCall["call"] | undefined {
  const call = (raw as Partial<StoredCall> | null)?.call;
  return call && typeof call === "object" && CALL_STATES.includes(call.state) ? call : undefined;
}

/** The interaction's text: language-neutral (numbers, arrows and the duration), since the thread shows it as is. */
export function callText(call: StoredCall["call"]): string {
  const arrow = call.direction === "inbound" ? "→" : "←";
  const duration =
    call.durationSeconds === null
      ? ""
      : ` · ${Math.floor(call.durationSeconds / 60)}:${String(call.durationSeconds % 60).padStart(2, "0")}`;
  const mark = { ringing: "…", answered: "✆", ended: "✓", missed: "✕" }[call.state];
  return `📞 ${call.customerNumber} ${arrow} ${call.brandNumber} ${mark}${duration}`;
}

/**
 * The customer a caller id belongs to, by proven contacts only: the customer whose own phone is this number
 * (the brand's data or a platform's verification put it there), else the one an earlier call on this number
 * made. A caller id is weak proof (it can be spoofed): it finds a customer for the screen pop and the
 * history, and never merges, never fills a contact and never reveals anything to the caller.
 */
export async function customerOfCaller(
  db: Db | Prisma.TransactionClient,
  number: string,
): Promise<string | undefined> {
  const owner = await db.customer.findFirst({ where: { phone: number }, select: { id: true } });
  if (owner) return survivorOf(db, owner.id);
  const earlier = await db.identity.findUnique({
    where: { channel_externalId: { channel: "phone", externalId: number } },
    select: { customerId: true },
  });
  return earlier ? survivorOf(db, earlier.customerId) : undefined;
}

/**
 * Stores a call report: the first report of a call (by source and call id) creates one inbound interaction on
 * channel `phone` in the caller's open phone conversation (opened if none), every later one updates it: its
 * state moves only forward (ringing → answered → ended or missed), the duration is kept once known. The same
 * report again changes nothing. An unknown number becomes a new customer with a `phone` identity of that
 * number and nothing else (no `Customer.phone`: a caller id is not proof enough to hold the number).
 */
export async function recordCall(db: Db, report: CallReport): Promise<RecordedCall> {
  const externalId = callExternalId(report.source, report.callId);
  try {
    return await db.$transaction((tx) => recordIn(tx, report, externalId));
  } catch (error) {
    // the same call's first two reports at once: the other one created the row; this one updates it
    if (!isUniqueViolation(error)) throw error;
    return db.$transaction((tx) => recordIn(tx, report, externalId));
  }
}

async function recordIn(
  tx: Prisma.TransactionClient,
  report: CallReport,
  externalId: string,
): Promise<RecordedCall> {
  const existing = await tx.interaction.findUnique({
    where: { channel_externalId: { channel: "phone", externalId } },
    select: { id: true, conversationId: true, customerId: true, raw: true },
  });
  const now = report.at.toISOString();
  // the route parsers already dropped what PostgreSQL cannot store and bounded the body
  const reportRaw = report.raw ?? null;
  if (existing) {
    const stored = (existing.raw ?? {}) as unknown as StoredCall;
    const before = storedCall(existing.raw)!;
    const forward = RANK[report.state] > RANK[before.state];
    const duration = before.durationSeconds ?? report.durationSeconds ?? null;
    const call: StoredCall["call"] = {
      ...before,
      state: forward ? report.state : before.state,
      durationSeconds: duration,
      agent: before.agent ?? report.agent ?? null,
      updatedAt: now,
    };
    const changed =
      call.state !== before.state ||
      call.durationSeconds !== before.durationSeconds ||
      call.agent !== before.agent;
    if (changed) {
      const reports = [...(stored.reports ?? []), reportRaw].slice(-MAX_REPORTS);
      await tx.interaction.update({
        where: { id: existing.id },
        data: {
          text: callText(call),
          raw: { call, reports } as unknown as Prisma.InputJsonValue,
          editedAt: report.at,
        },
      });
    }
    return {
      interactionId: existing.id,
      conversationId: existing.conversationId!,
      customerId: existing.customerId,
      state: call.state,
      durationSeconds: call.durationSeconds,
      created: false,
      changed,
      newCustomer: false,
    };
  }
  let customerId = await customerOfCaller(tx, report.customerNumber);
  const newCustomer = customerId === undefined;
  if (customerId === undefined) {
    // preferredChannel stays empty: a call is never a way to send a message back
    const created = await tx.customer.create({
      // the number is all a caller id tells: the inbox and profile show it as their name on the channel
      data: {
        identities: {
          create: { channel: "phone", externalId: report.customerNumber, displayName: report.customerNumber },
        },
      },
      select: { id: true },
    });
    customerId = created.id;
  } else {
    await tx.identity.updateMany({
      where: { channel: "phone", externalId: report.customerNumber },
      data: { lastSeenAt: report.at },
    });
  }
  const where = { customerId, channel: "phone" as const, status: { not: "closed" as const } };
  const conversation =
    (await tx.conversation.findFirst({
      where,
      orderBy: { lastMessageAt: "desc" },
      select: { id: true, lastMessageAt: true },
    })) ??
    (await tx.conversation.create({
      data: { customerId, channel: "phone", threadRef: report.customerNumber, lastMessageAt: report.at },
      select: { id: true, lastMessageAt: true },
    }));
  const call: StoredCall["call"] = {
    source: report.source,
    callId: cleanId(report.callId),
    customerNumber: report.customerNumber,
    brandNumber: cleanId(report.brandNumber),
    direction: report.direction,
    state: report.state,
    durationSeconds: report.durationSeconds ?? null,
    agent: report.agent ?? null,
    startedAt: now,
    updatedAt: now,
  };
  const interaction = await tx.interaction.create({
    data: {
      customerId,
      conversationId: conversation.id,
      channel: "phone",
      direction: report.direction,
      author: report.direction === "inbound" ? "customer" : "staff",
      externalId,
      text: callText(call),
      raw: { call, reports: [reportRaw] } as unknown as Prisma.InputJsonValue,
      sentAt: report.at,
    },
    select: { id: true },
  });
  await tx.conversation.update({
    where: { id: conversation.id },
    data: {
      unreadCount: { increment: 1 },
      lastMessageAt: report.at > conversation.lastMessageAt ? report.at : undefined,
    },
  });
  await tx.customer.updateMany({
    where: { id: customerId, OR: [{ lastInteractionAt: null }, { lastInteractionAt: { lt: report.at } }] },
    data: { lastInteractionAt: report.at },
  });
  return {
    interactionId: interaction.id,
    conversationId: conversation.id,
    customerId,
    state: call.state,
    durationSeconds: call.durationSeconds,
    created: true,
    changed: true,
    newCustomer,
  };
}
