import { UnrecoverableError } from "bullmq";
import { type Channel, isBatchChannel, isRejected, type OutboundMessage } from "../bots/index.ts";
import { Prisma } from "../lib/db/index.ts";
import { PermanentSendError, RateLimitedError, TemplateError } from "../lib/errors.ts";
import { applyShopHold, campaignGate, type DeliverDeps, type DeliverOutcome, FINAL } from "./deliver.ts";
import { deliverChatBatch, type UnsentMarks } from "./deliver-chat.ts";
import { type PendingRecord, recordAnswers, recordOutcome } from "./deliver-record.ts";
import { renderDelivery } from "./render.ts";
import { holdsOf } from "./send-checks.ts";
import { SEND_TIMEOUT_MS, withSendTimeout } from "./send-timeout.ts";
import { COUPON_REFUSED, shopHolds, WAITING_FOR_SHOP } from "./shop-coupons.ts";

/**
 * A batch job: up to 100 campaign emails, and the key the batch is sent under; or up to 50 campaign messages of a
 * chat channel (workers/deliver-chat.ts), where the key names the job.
 */
export interface BatchJob {
  batchKey: string;
  deliveryIds: string[];
  /** Chat batches: marks an earlier try set and proved unsent (workers/deliver-chat.ts). */
  unsentMarks?: UnsentMarks;
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
  recording?: readonly PendingRecord[],
): Promise<DeliverOutcome> {
  // one message a call (Telegram, Discord, X, the web chat): checked, marked and recorded as a set
  if (!isBatchChannel(channel)) return deliverChatBatch(deps, channel, job, lastAttempt, recording);
  const { db } = deps;
  const now = new Date(deps.clock.now());
  const load = () =>
    db.delivery.findMany({
      where: { id: { in: job.deliveryIds } },
      include: { customer: { select: { timezone: true, consent: true } } },
      orderBy: { key: "asc" },
    });
  const rows = await load();
  if (recording) {
    // the provider took this batch on an earlier attempt whose recording failed: record it, never resend
    const open = rows.filter((d) => !FINAL.has(d.status));
    await recordAnswers(
      db,
      open,
      recording.filter((r) => open.some((d) => d.id === r.deliveryId)),
      now,
    );
    const sent = recording.filter((r) => "providerId" in r).length;
    return { kind: "sent", providerId: `${sent}/${recording.length}` };
  }
  const fresh = rows.filter((d) => !FINAL.has(d.status) && d.batchKey === null);
  const gate = campaignGate(deps, fresh[0]?.campaignId ?? rows[0]?.campaignId ?? null);
  if (fresh.length > 0 && gate.paused) return { kind: "paused", campaignId: fresh[0]!.campaignId! };
  const ready: string[] = [];
  const rendered = new Map<string, OutboundMessage>();
  // the send-time checks of every member in a few queries, not two or more per member
  const holds = gate.archived ? new Map() : await holdsOf(db, fresh, gate.limits, now);
  // codes the shop has not confirmed hold the whole batch (a refused one fails its member alone)
  const open = fresh.filter((d) => !holds.has(d.id) && !gate.archived);
  const shop = await shopHolds(deps, gate.coupons, open);
  const refused = new Set<string>();
  for (const delivery of open) {
    const hold = shop.get(delivery.id);
    if (hold?.kind === "refused") {
      await recordOutcome(
        db,
        [delivery.id],
        { status: "failed", reason: COUPON_REFUSED, error: hold.error },
        now,
      );
      refused.add(delivery.id);
    }
  }
  const wait = open.map((d) => shop.get(d.id)).find((h) => h?.kind === "waiting");
  if (wait) {
    for (const delivery of open) await applyShopHold(deps, delivery, shop.get(delivery.id), now);
    return {
      kind: "waiting",
      reason: WAITING_FOR_SHOP,
      error: wait.error,
      ...(wait.retryAfterMs !== undefined && { retryAfterMs: wait.retryAfterMs }),
    };
  }
  for (const delivery of open) await applyShopHold(deps, delivery, undefined, now);
  for (const delivery of fresh) {
    if (gate.archived) {
      await recordOutcome(db, [delivery.id], { status: "skipped", reason: "archived" }, now);
      continue;
    }
    const hold = holds.get(delivery.id);
    if (refused.has(delivery.id)) continue;
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
    // idempotent: a batch whose answer never came is sent again under the same key
    results = await withSendTimeout(channel.name, deps.sendTimeoutMs ?? SEND_TIMEOUT_MS, (options) =>
      channel.sendBatch(messages, job.batchKey, options),
    );
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
  // the provider has the batch: failing to record it is never a failed send, and never a reason to resend
  const records: PendingRecord[] = results.map((result, i) =>
    isRejected(result)
      ? { deliveryId: owned[i]!.id, rejected: result.error }
      : {
          deliveryId: owned[i]!.id,
          providerId: result.providerId,
          subject: messages[i]!.subject,
          text: messages[i]!.text,
        },
  );
  await recordAnswers(db, owned, records, new Date(deps.clock.now()));
  const sent = records.filter((r) => "providerId" in r);
  return { kind: "sent", providerId: `${sent.length}/${owned.length}` };
}
