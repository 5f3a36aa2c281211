import { isSendingChannel } from "../lib/channels.ts";
import type { Db } from "../lib/db/index.ts";
import { replyKey } from "../lib/ids.ts";
import { t } from "./i18n.ts";
import type { SendReply } from "./reply.ts";

/** The rating buttons: Telegram shows them under the question; their value comes back as "/rate <n>". */
export const RATING_BUTTONS = [1, 2, 3, 4, 5].map((n) => ({ label: "★".repeat(n), value: `rate:${n}` }));

/**
 * Closes a conversation. With `survey` (the default when a person handled it), the customer is asked for a
 * 1–5 rating on the channel they used; the answer comes back as "/rate <n>" and is stored by
 * {@link recordRating}.
 */
export async function closeConversation(
  deps: { db: Db; sendReply: SendReply },
  conversationId: string,
  options: { now: Date; survey?: boolean },
): Promise<void> {
  const conversation = await deps.db.conversation.update({
    where: { id: conversationId },
    data: { status: "closed", closedAt: options.now, handedOver: false, unreadCount: 0 },
    include: { customer: { select: { locale: true } } },
  });
  // a call (phone) is never asked anything back: nothing can be sent on it
  if (!options.survey || !conversation.threadRef || !isSendingChannel(conversation.channel)) return;
  const survey = await deps.db.survey.create({
    data: {
      customerId: conversation.customerId,
      conversationId,
      channel: conversation.channel,
      sentAt: options.now,
    },
  });
  const locale = conversation.customer.locale;
  await deps.sendReply({
    key: replyKey("survey", survey.id),
    customerId: conversation.customerId,
    conversationId,
    channel: conversation.channel,
    to: conversation.threadRef,
    text: `${t(locale, "ratingQuestion")}\n${t(locale, "ratingHint")}`,
    locale,
    buttons: RATING_BUTTONS,
  });
}

/**
 * Stores a 1–5 rating: on the survey it answers (the latest unanswered one of this customer on this
 * channel), on its conversation, and as a `rating` Event. The same rating message twice is stored once.
 */
export async function recordRating(
  db: Db,
  input: { customerId: string; channel: string; score: number; messageId: string; at: Date },
): Promise<void> {
  const survey = await db.survey.findFirst({
    where: { customerId: input.customerId, channel: input.channel as never, answeredAt: null },
    orderBy: { sentAt: "desc" },
  });
  const conversationId =
    survey?.conversationId ??
    (
      await db.conversation.findFirst({
        where: { customerId: input.customerId, channel: input.channel as never },
        orderBy: { lastMessageAt: "desc" },
        select: { id: true },
      })
    )?.id ??
    null;
  await db.$transaction(async (tx) => {
    if (survey) {
      await tx.survey.update({ where: { id: survey.id }, data: { answeredAt: input.at } });
      await tx.surveyAnswer.upsert({
        where: { surveyId: survey.id },
        create: { surveyId: survey.id, customerId: input.customerId, score: input.score },
        update: { score: input.score },
      });
    }
    if (conversationId)
      await tx.conversation.update({ where: { id: conversationId }, data: { rating: input.score } });
    await tx.event.createMany({
      data: [
        {
          customerId: input.customerId,
          type: "rating",
          externalId: `${input.channel}:${input.messageId}`,
          source: input.channel,
          value: input.score,
          occurredAt: input.at,
          properties: { score: input.score, conversationId, surveyId: survey?.id ?? null },
        },
      ],
      skipDuplicates: true,
    });
  });
}
