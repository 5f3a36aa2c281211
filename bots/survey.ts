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

/** How long after the question an answer counts as one: a day. */
export const SURVEY_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * The rating a bare answer to the survey stands for, or `undefined` for anything else. Accepted, with spaces
 * around: a digit 1–5 ("5"), a score out of five ("4/5"), one to five stars ("⭐⭐⭐⭐", "★★★", as the
 * rating buttons are labelled) and a keycap digit ("4️⃣"). A thumbs-up or a heart is not a rating: it has no
 * place on the scale, and a customer often sends one to say thanks.
 */
export function ratingAnswer(text: string): number | undefined {
  const answer = text.trim().replace(/\uFE0F/g, "");
  const digit = /^([1-5])(?:\s*\/\s*5|\u20E3)?$/u.exec(answer);
  if (digit) return Number(digit[1]);
  const stars = /^(?:⭐|★|🌟){1,5}$/u.test(answer) ? [...answer].length : 0;
  return stars || undefined;
}

/**
 * The survey an answer belongs to: the customer's latest on this channel asked within
 * {@link SURVEY_WINDOW_MS} that has a conversation to keep the answer in. A button press or "/rate N"
 * (`bare: false`) may answer it again (the score is updated, without a second thanks); a bare answer
 * ("5", "⭐⭐⭐") counts only while it is unanswered and no newer conversation is open on the channel, so
 * that otherwise a "5" is an ordinary message.
 */
export async function surveyToAnswer(
  db: Db,
  input: { customerId: string; channel: string; now: Date; bare: boolean },
): Promise<{ id: string; conversationId: string } | undefined> {
  const channel = input.channel as never;
  const survey = await db.survey.findFirst({
    where: {
      customerId: input.customerId,
      channel,
      conversationId: { not: null },
      sentAt: { gte: new Date(input.now.getTime() - SURVEY_WINDOW_MS) },
      ...(input.bare && { answeredAt: null }),
    },
    orderBy: { sentAt: "desc" },
    select: { id: true, conversationId: true },
  });
  if (!survey?.conversationId) return undefined;
  if (input.bare) {
    const open = await db.conversation.count({
      where: { customerId: input.customerId, channel, status: { not: "closed" } },
    });
    if (open > 0) return undefined;
  }
  return { id: survey.id, conversationId: survey.conversationId };
}

/**
 * Stores a 1–5 rating: on the survey it answers (`surveyId`, else the latest unanswered one of this customer
 * on this channel), on its conversation, and as a `rating` Event. The same rating message twice is stored
 * once. A later answer to an answered survey updates its score. Returns whether to thank the customer:
 * not when the survey was answered before (one thanks per survey, even for two presses at once).
 */
export async function recordRating(
  db: Db,
  input: {
    customerId: string;
    channel: string;
    score: number;
    messageId: string;
    at: Date;
    surveyId?: string;
  },
): Promise<{ thank: boolean }> {
  const survey = input.surveyId
    ? await db.survey.findUnique({ where: { id: input.surveyId } })
    : await db.survey.findFirst({
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
  return db.$transaction(async (tx) => {
    let thank = true;
    if (survey) {
      // the first answer sets answeredAt: only it is thanked
      const first = await tx.survey.updateMany({
        where: { id: survey.id, answeredAt: null },
        data: { answeredAt: input.at },
      });
      thank = first.count === 1;
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
    return { thank };
  });
}
