import { UnrecoverableError } from "bullmq";
import type { Channel, OutboundMessage } from "../bots/index.ts";
import type { ChannelName } from "../lib/channels.ts";
import { type Db, Prisma } from "../lib/db/index.ts";
import { PermanentSendError, RateLimitedError, TemplateError } from "../lib/errors.ts";
import {
  applyShopHold,
  campaignGate,
  type DeliverDeps,
  type DeliverOutcome,
  FINAL,
  mayHaveGoneOut,
  tell,
  UNKNOWN_OUTCOME,
} from "./deliver.ts";
import { type Outcome, type PendingRecord, recordAnswers, recordOutcomes } from "./deliver-record.ts";
import { renderDelivery } from "./render.ts";
import { holdsOf } from "./send-checks.ts";
import { SendSlotsSpentError, UNLIMITED_SLOTS } from "./send-slots.ts";
import { SEND_TIMEOUT_MS, withSendTimeout } from "./send-timeout.ts";
import { COUPON_REFUSED, shopHolds, WAITING_FOR_SHOP } from "./shop-coupons.ts";

/** A member of a chat batch, with what the checks, rendering and recording read, in one statement. */
interface Member {
  id: string;
  key: string;
  kind: "marketing" | "transactional";
  channel: ChannelName;
  customerId: string;
  conversationId: string | null;
  campaignId: string | null;
  status: string;
  reason: string | null;
  template: string | null;
  locale: string | null;
  data: unknown;
  recipient: string | null;
  sendStartedAt: Date | null;
  customer: { timezone: string | null; consent: unknown; country: string | null };
  /** The suppressions of its address on its channel (the address as the platform's user id too). */
  suppressions: Array<{ channel: string; address: string; reason: string }>;
}

const loadMembers = (db: Db, ids: readonly string[]) =>
  db.$queryRaw<Member[]>(Prisma.sql`
    SELECT d.id::text AS id, d.key, d.kind::text AS kind, d.channel::text AS channel,
      d."customerId"::text AS "customerId", d."conversationId"::text AS "conversationId", d."campaignId",
      d.status::text AS status, d.reason, d.template, d.locale, d.data, d.recipient, d."sendStartedAt",
      json_build_object('timezone', c.timezone, 'consent', c.consent, 'country', c.country) AS customer,
      COALESCE((
        SELECT json_agg(json_build_object('channel', s.channel::text, 'address', s.address, 'reason', s.reason))
        FROM "Suppression" s
        WHERE s.channel = d.channel AND s.address IN (
          COALESCE(d.recipient, ''), regexp_replace(COALESCE(d.recipient, ''), '^(user|dm):', ''))
      ), '[]'::json) AS suppressions
    FROM "Delivery" d JOIN "Customer" c ON c.id = d."customerId"
    WHERE d.id = ANY(${ids}::uuid[]) ORDER BY d.key`);

/** Marks the sends of these Deliveries begun; returns those whose mark took (the others are another run's). */
async function markStarted(db: Db, ids: readonly string[], now: Date): Promise<Set<string>> {
  const marked = await db.$queryRaw<Array<{ id: string }>>(Prisma.sql`
    UPDATE "Delivery" SET "sendStartedAt" = ${now}, "updatedAt" = ${now}
    WHERE id = ANY(${ids}::uuid[]) AND "sendStartedAt" IS NULL AND status IN ('planned', 'queued')
    RETURNING id::text AS id`);
  return new Set(marked.map((m) => m.id));
}

/** Members of a chat batch whose sends this job marked begun at `at` (ms) and never made. */
export interface UnsentMarks {
  ids: string[];
  at: number;
}

/**
 * The statement marking a chunk's sends begun failed: it may have taken (its answer was lost) or not, and
 * nothing of the chunk was sent. The worker keeps the marks in the job, so the next try clears them instead of
 * failing those members unknown_outcome.
 */
export class UnsentMarksError extends Error {
  constructor(
    readonly marks: UnsentMarks,
    options: { cause: unknown },
  ) {
    super(
      `marking ${marks.ids.length} send(s) begun failed, none sent: ${
        options.cause instanceof Error ? options.cause.message : String(options.cause)
      }`,
      options,
    );
    this.name = "UnsentMarksError";
  }
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends a batch of campaign messages on a channel that sends one message a call (Telegram, Discord, X, the web
 * chat), with the statements of a batch instead of a handful per message: one load of every member with its
 * customer and suppressions, the send-time checks of the set (`holdsOf`: caps are the only queries left), its
 * shop holds, then, as the provider's rate allows
 * (`deps.sendSlots`: each message takes one send of `channel.limit`, shared with single jobs and other
 * processes), one statement marking the sends of the next members begun (`sendStartedAt`, at most once on a
 * channel without idempotency key; a member whose mark did not take is another run's), one `channel.send`
 * each, in order, and one statement recording their answers with the outbound Interactions and one recording
 * the holds and failures. Without a limit in the way that is one mark and one recording for the batch; at
 * Telegram's 25/s, one each per second's worth, so a crash leaves at most one chunk's sends unrecorded.
 *
 * Each member keeps the single message's rules (workers/deliver.ts): a member marked by an earlier try that
 * never learnt the end (a crash) fails `unknown_outcome`, never sent again; a refusal fails that member alone
 * (`rejected`), and so does a send that may have gone out (`unknown_outcome`); a 429 stops the batch, records
 * what went out, clears the mark of the members proven unsent and rethrows, so the queue waits; another
 * failure does the same and the job is tried again for the rest (on its last try the rest fail
 * `retries_exhausted`). The provider's answers survive a database that will not take them
 * (`RecordingPendingError`): a later try records them, never sends them again.
 */
export async function deliverChatBatch(
  deps: DeliverDeps,
  channel: Channel,
  job: { deliveryIds: string[]; unsentMarks?: UnsentMarks },
  lastAttempt: boolean,
  recording?: readonly PendingRecord[],
): Promise<DeliverOutcome> {
  const { db } = deps;
  const now = new Date(deps.clock.now());
  const atMostOnce = channel.idempotent !== true;
  if (job.unsentMarks && job.unsentMarks.ids.length > 0) {
    // an earlier try set these marks and sent none of them: they are free again
    await db.$executeRaw(Prisma.sql`
      UPDATE "Delivery" SET "sendStartedAt" = NULL
      WHERE id = ANY(${job.unsentMarks.ids}::uuid[]) AND "sendStartedAt" = ${new Date(job.unsentMarks.at)}
        AND status IN ('planned', 'queued')`);
  }
  const rows = await loadMembers(db, job.deliveryIds);
  const answered = new Set(recording?.map((r) => r.deliveryId));
  if (recording && recording.length > 0) {
    // sent by an earlier try whose recording failed: recorded now, never sent again
    const open = rows.filter((d) => answered.has(d.id) && !FINAL.has(d.status));
    const ids = new Set(open.map((d) => d.id));
    await recordAnswers(
      db,
      open,
      recording.filter((r) => ids.has(r.deliveryId)),
      now,
    );
    for (const d of open) tell(deps, d, "sent");
  }
  const outcomes: Outcome[] = [];
  let open: Member[] = [];
  for (const d of rows) {
    if (answered.has(d.id) || FINAL.has(d.status)) continue;
    if (atMostOnce && d.sendStartedAt) {
      // an earlier try began this send and never learnt how it ended: the message may be out
      const error = `${channel.name}: a send began at ${d.sendStartedAt.toISOString()} and its answer never came; not sent again`;
      outcomes.push({ id: d.id, status: "failed", reason: UNKNOWN_OUTCOME, error });
    } else open.push(d);
  }
  const byId = new Map(rows.map((d) => [d.id, d]));
  /** Records the holds and failures found so far, in one statement. */
  const settle = async () => {
    const done = outcomes.splice(0);
    await recordOutcomes(db, done, now);
    for (const o of done) tell(deps, byId.get(o.id)!, o.status);
    held += done.length;
  };
  let held = 0;

  const gate = campaignGate(deps, open[0]?.campaignId ?? null);
  if (open.length > 0 && gate.paused) {
    await settle();
    return { kind: "paused", campaignId: open[0]!.campaignId! };
  }
  if (gate.archived) {
    for (const d of open) outcomes.push({ id: d.id, status: "skipped", reason: "archived" });
    open = [];
  }
  // the send-time checks of every member: suppressions and consent were read with them, caps in a query each
  const holds = await holdsOf(db, open, gate.limits, now, {
    suppressions: open.flatMap((d) => d.suppressions),
    customers: new Map(open.map((d) => [d.customerId, d.customer])),
  });
  for (const [id, hold] of holds) outcomes.push({ id, ...hold });
  open = open.filter((d) => !holds.has(d.id));
  // a code the shop refused fails its member alone; one it has not confirmed yet holds the whole batch
  const shop = await shopHolds(deps, gate.coupons, open);
  for (const d of open) {
    const hold = shop.get(d.id);
    if (hold?.kind === "refused")
      outcomes.push({ id: d.id, status: "failed", reason: COUPON_REFUSED, error: hold.error });
  }
  open = open.filter((d) => shop.get(d.id)?.kind !== "refused");
  const waiting = open.map((d) => shop.get(d.id)).find((h) => h?.kind === "waiting");
  if (waiting) {
    await settle();
    for (const d of open) await applyShopHold(deps, d, shop.get(d.id), now);
    return {
      kind: "waiting",
      reason: WAITING_FOR_SHOP,
      error: waiting.error,
      ...(waiting.retryAfterMs !== undefined && { retryAfterMs: waiting.retryAfterMs }),
    };
  }
  for (const d of open) if (d.reason === WAITING_FOR_SHOP) await applyShopHold(deps, d, undefined, now);

  const ready: Array<{ member: Member; message: OutboundMessage }> = [];
  for (const d of open) {
    const thread =
      channel.threadFor && !d.template && d.conversationId
        ? await channel.threadFor(db, d.conversationId)
        : undefined;
    try {
      ready.push({ member: d, message: renderDelivery(deps, channel, d, thread) });
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      outcomes.push({ id: d.id, status: "failed", reason: "template_error", error: error.message });
    }
  }

  const slots = deps.sendSlots ?? UNLIMITED_SLOTS;
  const records: PendingRecord[] = [];
  const sent: Member[] = [];
  let sentCount = 0;
  /**
   * Records what the provider has answered so far (a chunk's sends: a crash loses the answers of one chunk at
   * most, whose members then fail unknown_outcome instead of being sent again), then the holds and failures.
   */
  const flush = async () => {
    const answers = records.splice(0);
    const members = sent.splice(0);
    // the provider has these: failing to record them is never a failed send, and never a reason to send again
    await recordAnswers(db, members, answers, new Date(deps.clock.now()));
    for (const d of members) tell(deps, d, "sent");
    sentCount += members.length;
    await settle();
  };
  /** Marked, and proven not sent: their mark is cleared. */
  const unmark: string[] = [];
  /** The member whose send failed and is tried again: one attempt spent, with why. */
  let failing: { id: string; error: string } | undefined;
  let stop: unknown;
  let next = 0;
  sending: while (next < ready.length) {
    const taken = await slots.take(ready.length - next);
    if (taken.granted === 0) {
      stop = new SendSlotsSpentError(taken.retryInMs);
      break;
    }
    const granted = taken.granted;
    // each reserved send at its time, evenly spaced, as the provider counts any second; the chunk is marked
    // only when its turn has come, so a worker that dies holds one chunk's marks, not every chunk it reserved
    const firstAt = Date.now() + taken.startInMs;
    if (taken.startInMs >= 1) await pause(taken.startInMs);
    let chunk = ready.slice(next, next + granted);
    next += chunk.length;
    if (atMostOnce) {
      const ids = chunk.map((r) => r.member.id);
      let marked: Set<string>;
      try {
        marked = await markStarted(db, ids, now);
      } catch (error) {
        // what went before is recorded (chunk by chunk); this chunk was not sent, whether its marks took or not
        throw new UnsentMarksError({ ids, at: now.getTime() }, { cause: error });
      }
      chunk = chunk.filter((r) => marked.has(r.member.id));
    }
    for (let i = 0; i < chunk.length; i++) {
      const { member, message } = chunk[i]!;
      const due = firstAt + i * taken.everyMs - Date.now();
      if (due >= 1) await pause(due);
      try {
        const answer = await withSendTimeout(channel.name, deps.sendTimeoutMs ?? SEND_TIMEOUT_MS, (options) =>
          channel.send(message, member.key, options),
        );
        records.push({
          deliveryId: member.id,
          providerId: answer.providerId,
          subject: message.subject,
          text: message.text,
        });
        sent.push(member);
      } catch (error) {
        const text = error instanceof Error ? error.message : String(error);
        if (atMostOnce && mayHaveGoneOut(error)) {
          outcomes.push({ id: member.id, status: "failed", reason: UNKNOWN_OUTCOME, error: text });
          continue;
        }
        if (error instanceof PermanentSendError) {
          outcomes.push({ id: member.id, status: "failed", reason: "rejected", error: text });
          continue;
        }
        // the provider did not take this one, and the rest of the chunk was never sent
        const rest = chunk.slice(i).map((r) => r.member.id);
        if (error instanceof RateLimitedError) {
          if (atMostOnce) unmark.push(...rest);
          stop = error;
          break sending;
        }
        if (lastAttempt) {
          for (const id of [...rest, ...ready.slice(next).map((r) => r.member.id)])
            outcomes.push({ id, status: "failed", reason: "retries_exhausted", error: text });
          stop = new UnrecoverableError(text);
          break sending;
        }
        if (atMostOnce) unmark.push(...rest);
        failing = { id: member.id, error: text };
        stop = error;
        break sending;
      }
    }
    if (next < ready.length) await flush();
  }

  await flush();
  if (unmark.length > 0 || failing) {
    const ids = failing && !unmark.includes(failing.id) ? [...unmark, failing.id] : unmark;
    await db.$executeRaw(Prisma.sql`
      UPDATE "Delivery" SET "sendStartedAt" = NULL, "updatedAt" = ${now},
        attempts = attempts + CASE WHEN id = ${failing?.id ?? null}::uuid THEN 1 ELSE 0 END,
        error = CASE WHEN id = ${failing?.id ?? null}::uuid THEN ${failing?.error ?? null} ELSE error END
      WHERE id = ANY(${ids}::uuid[]) AND status IN ('planned', 'queued')`);
  }
  if (stop !== undefined) throw stop;
  if (sentCount > 0) return { kind: "sent", providerId: `${sentCount}/${rows.length}` };
  if (held > 0) return { kind: "skipped", reason: `${held} of ${rows.length} held or failed` };
  return { kind: "done-before", status: "empty" };
}
