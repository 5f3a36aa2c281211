import type { BotReply } from "../bots/index.ts";
import type { Clock } from "../lib/clock.ts";
import type { Db } from "../lib/db/index.ts";
import { enqueueDelivery } from "./deliver-queue.ts";
import type { QueueContext } from "./queues.ts";

/**
 * Queues a bot reply (auto-reply, command answer, survey question) as a transactional Delivery: written
 * under its key first, then enqueued on the channel's queue. The same reply asked twice is one message.
 */
export async function queueReply(
  deps: { db: Db; queues: QueueContext; clock: Clock },
  reply: BotReply,
): Promise<void> {
  const now = new Date(deps.clock.now());
  await deps.db.delivery.createMany({
    data: [
      {
        key: reply.key,
        kind: "transactional",
        customerId: reply.customerId,
        conversationId: reply.conversationId,
        channel: reply.channel,
        recipient: reply.to,
        locale: reply.locale,
        data: { text: reply.text, replyTo: reply.replyTo ?? null, buttons: reply.buttons ?? null },
        scheduledAt: now,
      },
    ],
    skipDuplicates: true,
  });
  const delivery = await deps.db.delivery.findUniqueOrThrow({ where: { key: reply.key } });
  if (delivery.status !== "planned") return;
  await enqueueDelivery(deps.queues, delivery, deps.clock);
  await deps.db.delivery.updateMany({
    where: { id: delivery.id, status: "planned" },
    data: { status: "queued", queuedAt: now },
  });
}
