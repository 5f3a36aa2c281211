import type { OutboundMessage } from "../bots/index.ts";
import type { ChannelName } from "../lib/channels.ts";
import { type Db, Prisma } from "../lib/db/index.ts";

/** A message the provider accepted. */
export interface SentRecord {
  delivery: {
    id: string;
    customerId: string;
    conversationId: string | null;
    channel: ChannelName;
    /** The Delivery's data: a staff reply's carries `author: "staff"` and `staffUserId`. */
    data?: unknown;
  };
  message: Pick<OutboundMessage, "text" | "subject">;
  providerId: string;
}

/** Who wrote a sent message: the staff member named in the Delivery's data, else the bot. */
export function authorOf(data: unknown): { author: "bot" | "staff"; staffUserId: string | null } {
  const fields = (data ?? {}) as { author?: unknown; staffUserId?: unknown };
  if (fields.author === "staff" && typeof fields.staffUserId === "string")
    return { author: "staff", staffUserId: fields.staffUserId };
  return { author: "bot", staffUserId: null };
}

/**
 * Marks Deliveries sent and adds each message to the customer's history as an outbound Interaction (author
 * "bot", or the staff member a console reply names), in one statement (a data-modifying CTE): a crash leaves
 * either both or neither (and then the provider's idempotency key makes the retry harmless). One statement
 * with arrays, not an UPDATE and a `createMany` in a transaction: a batch's 50 rows cost one round trip and
 * no query planning by the client per row.
 */
export async function recordSent(db: Db, sent: readonly SentRecord[], now: Date): Promise<void> {
  if (sent.length === 0) return;
  const authors = sent.map((s) => authorOf(s.delivery.data));
  await db.$executeRaw(Prisma.sql`
    WITH v AS (
      SELECT * FROM unnest(${sent.map((s) => s.delivery.id)}::uuid[], ${sent.map((s) => s.providerId)}::text[],
        ${sent.map((s) => s.delivery.customerId)}::uuid[], ${sent.map((s) => s.delivery.conversationId)}::uuid[],
        ${sent.map((s) => s.delivery.channel)}::text[], ${authors.map((a) => a.author)}::text[],
        ${authors.map((a) => a.staffUserId)}::uuid[],
        ${sent.map((s) => (s.message.subject ? `${s.message.subject}\n\n${s.message.text}` : s.message.text))}::text[])
        AS v(id, pid, customer, conversation, channel, author, staff, text)),
    marked AS (
      UPDATE "Delivery" d SET status = 'sent', "sentAt" = ${now}, "providerId" = v.pid,
        attempts = d.attempts + 1, error = NULL, "updatedAt" = ${now}
      FROM v WHERE d.id = v.id AND d.status <> 'sent')
    INSERT INTO "Interaction" ("customerId", "conversationId", channel, direction, author, "staffUserId",
      "externalId", text, "sentAt", "deliveryId")
    SELECT customer, conversation, channel::"Channel", 'outbound', author::"Author", staff, channel || ':' || pid,
      text, ${now}, id
    FROM v
    ON CONFLICT DO NOTHING`);
}

/**
 * What the provider answered for one Delivery, kept so the answer can be recorded later: the provider's id
 * and the text sent, or why it rejected that one message (a batch member).
 */
export type PendingRecord =
  | { deliveryId: string; providerId: string; subject?: string; text: string }
  | { deliveryId: string; rejected: string };

/**
 * The provider accepted, and recording that failed even after quick retries (the database is away). Carries
 * what to record, so the job can keep it and retry the recording alone, later, without sending again.
 */
export class RecordingPendingError extends Error {
  readonly code = "RAPPORT_RECORDING_PENDING";
  constructor(
    readonly records: readonly PendingRecord[],
    options: { cause: unknown },
  ) {
    super(
      `sent, but recording ${records.length} delivery outcome(s) failed: ${
        options.cause instanceof Error ? options.cause.message : String(options.cause)
      }`,
      options,
    );
    this.name = "RecordingPendingError";
  }
}

/** Pauses between the quick in-process tries of a recording, in ms: a dropped connection is back by then. */
export const RECORD_RETRY_MS = [100, 500, 2_000] as const;

/** The wait before the delayed job retries recording for the `tries`-th time: doubling from 2 s, up to 1 min. */
export function recordBackoffMs(tries: number): number {
  return Math.min(60_000, 2_000 * 2 ** Math.max(0, tries - 1));
}

/**
 * Records what a provider answered for these Deliveries (sent, or rejected), retrying quickly a few times;
 * if the database still refuses, throws {@link RecordingPendingError} holding the answer. Deliveries
 * already final (an earlier try landed) are left as they are.
 */
export async function recordAnswers(
  db: Db,
  deliveries: readonly SentRecord["delivery"][],
  records: readonly PendingRecord[],
  now: Date,
  wait: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<void> {
  const byId = new Map(deliveries.map((d) => [d.id, d]));
  for (let attempt = 0; ; attempt++) {
    try {
      const sent: SentRecord[] = [];
      for (const r of records) {
        const delivery = byId.get(r.deliveryId);
        if (!delivery || "rejected" in r) continue;
        sent.push({ delivery, message: { text: r.text, subject: r.subject }, providerId: r.providerId });
      }
      for (const r of records)
        if ("rejected" in r)
          await recordOutcome(
            db,
            [r.deliveryId],
            { status: "failed", reason: "rejected", error: r.rejected },
            now,
          );
      await recordSent(db, sent, now);
      return;
    } catch (error) {
      const pause = RECORD_RETRY_MS[attempt];
      if (pause === undefined) throw new RecordingPendingError(records, { cause: error });
      await wait(pause);
    }
  }
}

/** Records an outcome other than sent: failed (with the provider's reason), suppressed or skipped. */
export async function recordOutcome(
  db: Db,
  ids: readonly string[],
  outcome: { status: "failed" | "suppressed" | "skipped"; reason: string; error?: string },
  now: Date,
): Promise<void> {
  if (ids.length === 0) return;
  await db.delivery.updateMany({
    where: { id: { in: [...ids] } },
    data: {
      status: outcome.status,
      reason: outcome.reason,
      error: outcome.error ?? null,
      ...(outcome.status === "failed" && { failedAt: now }),
    },
  });
}

/** An outcome other than sent for one Delivery, as {@link recordOutcomes} takes them. */
export interface Outcome {
  id: string;
  status: "failed" | "suppressed" | "skipped";
  reason: string;
  error?: string;
}

/**
 * {@link recordOutcome} for many Deliveries, each with its own outcome, in one statement (a batch's holds and
 * failures). Only Deliveries still open (planned, queued) change: one another run has recorded sent meanwhile
 * keeps that.
 */
export async function recordOutcomes(db: Db, outcomes: readonly Outcome[], now: Date): Promise<void> {
  if (outcomes.length === 0) return;
  await db.$executeRaw(Prisma.sql`
    UPDATE "Delivery" d SET status = v.status::"DeliveryStatus", reason = v.reason, error = v.error,
      "failedAt" = CASE WHEN v.status = 'failed' THEN ${now} ELSE d."failedAt" END, "updatedAt" = ${now}
    FROM unnest(${outcomes.map((o) => o.id)}::uuid[], ${outcomes.map((o) => o.status)}::text[],
      ${outcomes.map((o) => o.reason)}::text[], ${outcomes.map((o) => o.error ?? null)}::text[])
      AS v(id, status, reason, error)
    WHERE d.id = v.id AND d.status IN ('planned', 'queued')`);
}
