import { UnrecoverableError } from "bullmq";
import { type Channel, isBatchChannel, isRejected, type OutboundMessage } from "../bots/index.ts";
import { Prisma } from "../lib/db/index.ts";
import { PermanentSendError, RateLimitedError, TemplateError } from "../lib/errors.ts";
import { campaignGate, type DeliverDeps, type DeliverOutcome, deliverOne, FINAL } from "./deliver.ts";
import { recordOutcome, recordSent, type SentRecord } from "./deliver-record.ts";
import { renderDelivery } from "./render.ts";
import { holdOf } from "./send-checks.ts";

/** A batch job: up to 100 campaign emails, and the key the batch is sent under. */
export interface BatchJob {
  batchKey: string;
  deliveryIds: string[];
}

/**
 * Sends a batch of campaign emails in one provider call (Resend `POST /emails/batch`) under the batch key as
 * idempotency key. Each member is checked and rendered first (a suppressed or unrenderable one is recorded
 * and left out, never failing the others); the rest are then claimed for this batch for good
 * (`Delivery.batchKey`), so a retry, even after a crash or a lost response, sends exactly the same emails in
 * the same order and the provider's idempotency makes it harmless. A delivery claimed by another batch
 * (the same delivery queued twice) is left to that batch.
 */
export async function deliverBatch(
  deps: DeliverDeps,
  channel: Channel,
  job: BatchJob,
  lastAttempt: boolean,
): Promise<DeliverOutcome> {
  if (!isBatchChannel(channel)) {
    let last: DeliverOutcome = { kind: "done-before", status: "empty" };
    for (const id of job.deliveryIds) last = await deliverOne(deps, channel, id, lastAttempt);
    return last;
  }
  const { db } = deps;
  const now = new Date(deps.clock.now());
  const load = () =>
    db.delivery.findMany({
      where: { id: { in: job.deliveryIds } },
      include: { customer: { select: { timezone: true, consent: true } } },
      orderBy: { key: "asc" },
    });
  const rows = await load();
  const fresh = rows.filter((d) => !FINAL.has(d.status) && d.batchKey === null);
  const gate = campaignGate(deps, fresh[0]?.campaignId ?? rows[0]?.campaignId ?? null);
  if (fresh.length > 0 && gate.paused) return { kind: "paused", campaignId: fresh[0]!.campaignId! };
  const ready: string[] = [];
  const rendered = new Map<string, OutboundMessage>();
  for (const delivery of fresh) {
    if (gate.archived) {
      await recordOutcome(db, [delivery.id], { status: "skipped", reason: "archived" }, now);
      continue;
    }
    const hold = await holdOf(db, delivery, gate.limits, now);
    if (hold) {
      await recordOutcome(db, [delivery.id], hold, now);
      continue;
    }
    try {
      rendered.set(delivery.id, renderDelivery(deps, channel, delivery));
      ready.push(delivery.id);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      await recordOutcome(
        db,
        [delivery.id],
        { status: "failed", reason: "template_error", error: error.message },
        now,
      );
    }
  }
  if (ready.length > 0) {
    await db.$executeRaw(Prisma.sql`
      UPDATE "Delivery" SET "batchKey" = ${job.batchKey}
      WHERE id = ANY(${ready}::uuid[]) AND "batchKey" IS NULL AND status IN ('planned', 'queued')`);
  }
  const owned = (await load()).filter((d) => d.batchKey === job.batchKey && !FINAL.has(d.status));
  if (owned.length === 0) return { kind: "done-before", status: "empty" };
  // rows claimed by an earlier attempt of this job render again, to the same bytes (rendering is deterministic)
  const messages: OutboundMessage[] = owned.map(
    (d) => rendered.get(d.id) ?? renderDelivery(deps, channel, d),
  );
  let results: Awaited<ReturnType<typeof channel.sendBatch>>;
  try {
    results = await channel.sendBatch(messages, job.batchKey);
  } catch (error) {
    if (error instanceof RateLimitedError) throw error;
    const text = error instanceof Error ? error.message : String(error);
    const ids = owned.map((d) => d.id);
    if (error instanceof PermanentSendError || lastAttempt) {
      const reason = error instanceof PermanentSendError ? "rejected" : "retries_exhausted";
      await recordOutcome(db, ids, { status: "failed", reason, error: text }, now);
      throw new UnrecoverableError(text);
    }
    await db.delivery.updateMany({
      where: { id: { in: ids } },
      data: { attempts: { increment: 1 }, error: text },
    });
    throw error;
  }
  // the provider has the batch: failing to record it is never a failed send (a retry replays the same key)
  const sent: SentRecord[] = [];
  const sentAt = new Date(deps.clock.now());
  for (const [i, result] of results.entries()) {
    const delivery = owned[i]!;
    if (isRejected(result)) {
      await recordOutcome(
        db,
        [delivery.id],
        { status: "failed", reason: "rejected", error: result.error },
        sentAt,
      );
    } else {
      sent.push({ delivery, message: messages[i]!, providerId: result.providerId });
    }
  }
  await recordSent(db, sent, sentAt);
  return { kind: "sent", providerId: `${sent.length}/${owned.length}` };
}
