import type { Clock } from "../lib/clock.ts";
import type { Db } from "../lib/db/index.ts";
import { replyKey } from "../lib/ids.ts";
import type { Logger } from "../lib/logger.ts";
import { processMetrics } from "../lib/metrics.ts";
import { type Command, emailIn, parseCommand } from "./commands.ts";
import { recordConsent, setConsent } from "./consent.ts";
import { claimContact } from "./contact-claims.ts";
import { type CaptureResult, captureEdit, captureMessage, cleanInboundMessage } from "./conversation.ts";
import { recordFirstTouch } from "./first-touch.ts";
import { describeHours } from "./hours.ts";
import { type BotTextKey, t } from "./i18n.ts";
import type { InboundHandler, InboundMessage } from "./inbound.ts";
import { issueLinkCode, LINK_CODE_TTL_MS, redeemLinkCode } from "./linking.ts";
import { attachContact } from "./merge.ts";
import { answerIn, isOpen, matchRule, type Replies } from "./replies.ts";
import type { SendReply } from "./reply.ts";
import { ratingAnswer, recordRating, surveyToAnswer } from "./survey.ts";

/** What the responder needs, injected. */
export interface ResponderDeps {
  db: Db;
  replies: Replies;
  sendReply: SendReply;
  clock: Clock;
  log: Logger;
  brandName: string;
  /** Called after every stored message (live inbox updates). */
  onStored?: (result: CaptureResult & { kind: "stored" }) => void;
}

/** What the responder did with a message, for logs and tests. */
export type Handled =
  | { kind: "duplicate" | "edited" | "listened" }
  | { kind: "command"; command: Command["name"] }
  | { kind: "rated"; score: number; thanked: boolean }
  | { kind: "auto-reply"; rule: string; action: "close" | "handover" | "continue" }
  | { kind: "handed-over"; outOfHours: boolean }
  | { kind: "silent"; reason: "staff_handling" };

/**
 * The conversation core behind every platform adapter: stores each message once, keeps contacts the customer
 * types as unverified claims on their own customer (only a proven contact, such as a Telegram user's own
 * contact card, joins customers: see identity.ts "Identity and trust"), runs commands (/stop, /start,
 * /link, /rate, /help), answers by the rules of `bots/replies.yaml`, and otherwise hands the conversation
 * to staff with one "a person will answer" message. While staff handle a conversation the bot is silent.
 * An answer to a pending survey (a rating button, "/rate 4", or a bare "4", "4/5", "⭐⭐⭐⭐", "4️⃣": see
 * survey.ts) is kept in the closed conversation it rates, thanked once, and never reopens it nor gets the
 * away message.
 */
export function createResponder(
  deps: ResponderDeps,
): InboundHandler & { handle(message: InboundMessage): Promise<Handled> } {
  const log = deps.log.child({ component: "responder" });
  const handle = async (given: InboundMessage): Promise<Handled> => {
    // what is stored is what the rules read: the claims, commands and replies below see the cleaned text
    const message = cleanInboundMessage(given);
    if (message.kind === "edit") {
      await captureEdit(deps.db, message);
      return { kind: "edited" };
    }
    // an answer to a survey is kept in the conversation it rates, which stays closed
    const now = new Date(deps.clock.now());
    const command = parseCommand(message.text);
    const explicitScore = command?.name === "rate" ? command.score : undefined;
    const score = explicitScore ?? (command ? undefined : ratingAnswer(message.text));
    let survey: { id: string; conversationId: string } | undefined;
    const captured = await captureMessage(deps.db, message, {
      closedConversation: async (customerId) => {
        if (!score) return undefined;
        const bare = explicitScore === undefined;
        survey = await surveyToAnswer(deps.db, { customerId, channel: message.channel, now, bare });
        return survey?.conversationId;
      },
    });
    if (captured.kind === "duplicate") return { kind: "duplicate" };
    deps.onStored?.(captured);
    processMetrics.inboundMessages.inc({ channel: message.channel });
    let customerId = captured.customerId;
    const evidence = { channel: message.channel, messageId: message.externalId };
    // an address typed in a chat is a claim, never proof (anyone can type anyone's); in an email it is a
    // signature or a colleague, not even a claim
    const email = message.channel === "email" ? undefined : emailIn(message.text);
    if (email) {
      await claimContact(deps.db, customerId, {
        kind: "email",
        value: email,
        source: "chat_message",
        evidence,
      });
    }
    if (message.claimedPhone) {
      await claimContact(deps.db, customerId, {
        kind: "phone",
        value: message.claimedPhone,
        source: "telegram_contact",
        evidence,
      });
    }
    // the platform's own proof: Telegram sends a user's own contact card only from that user's account
    if (message.sharedPhone) {
      customerId = await attachContact(deps.db, customerId, { phone: message.sharedPhone }, message.channel);
    }
    if (!captured.conversationId) return { kind: "listened" };
    const customer = await deps.db.customer.findUniqueOrThrow({
      where: { id: customerId },
      select: { locale: true, timezone: true, source: true },
    });
    if (!customer.source) {
      const payload =
        command?.name === "start" ? command.payload?.replace(/[^\w.-]/g, "").slice(0, 64) : undefined;
      // a deep link (t.me/bot?start=<payload>) names where they came from: their first touch, written once
      const touch = {
        source: payload || message.channel,
        ...(payload && { medium: "deep_link", campaign: payload }),
      };
      await recordFirstTouch(deps.db, customerId, { ...touch, via: message.channel, at: now });
      await deps.db.customer.updateMany({
        where: { id: customerId, source: null },
        data: { source: touch.source },
      });
    }
    const reply = (kind: string, text: string) =>
      deps.sendReply({
        key: replyKey(kind, captured.interactionId),
        customerId,
        conversationId: captured.conversationId,
        channel: message.channel,
        to: message.threadRef,
        text,
        locale: customer.locale,
        replyTo: message.replyTo,
      });
    const say = (key: BotTextKey, vars?: Record<string, string | number>) =>
      reply("cmd", t(customer.locale, message.texts?.[key] ?? key, vars));

    if (survey && score) {
      const { thank } = await rate(score, { customerId, message, now, surveyId: survey.id });
      if (thank) await say("ratingThanks");
      return { kind: "rated", score, thanked: thank };
    }
    if (command) {
      await runCommand(command, { customerId, message, now, say });
      return { kind: "command", command: command.name };
    }
    const conversation = await deps.db.conversation.findUniqueOrThrow({
      where: { id: captured.conversationId },
      select: { handedOver: true },
    });
    if (conversation.handedOver) return { kind: "silent", reason: "staff_handling" };
    const rule = matchRule(deps.replies, message.text);
    if (rule) {
      await reply("auto", answerIn(rule, customer.locale));
      if (rule.action !== "continue") {
        await deps.db.conversation.update({
          where: { id: captured.conversationId },
          data:
            rule.action === "close"
              ? { status: "closed", closedAt: now }
              : { handedOver: true, status: "open" },
        });
      }
      return { kind: "auto-reply", rule: rule.name, action: rule.action };
    }
    const open = isOpen(deps.replies, now);
    await deps.db.conversation.update({
      where: { id: captured.conversationId },
      data: { handedOver: true, status: "open" },
    });
    await reply(
      "handover",
      open
        ? t(customer.locale, "handover")
        : t(customer.locale, "outOfHours", { hours: describeHours(deps.replies, customer, now) }),
    );
    return { kind: "handed-over", outOfHours: !open };
  };

  async function runCommand(
    command: Command,
    context: {
      customerId: string;
      message: InboundMessage;
      now: Date;
      say: (key: BotTextKey, vars?: Record<string, string | number>) => Promise<void>;
    },
  ): Promise<void> {
    const { customerId, message, now, say } = context;
    const consent = (status: "granted" | "denied") =>
      setConsent(deps.db, {
        customerId,
        channel: message.channel,
        address: message.sender.externalId,
        status,
        source: `chat_${command.name}`,
        evidence: { command: `/${command.name}`, messageId: message.externalId },
        at: now,
      });
    switch (command.name) {
      case "stop":
        await consent("denied");
        return say("stopped");
      case "start": {
        // anyone can put someone else's address in From: an email never grants email consent nor lifts an
        // unsubscribe (a confirmed double opt-in does); the request is kept in the history as pending
        if (message.channel === "email") {
          await deps.db.$transaction((tx) =>
            recordConsent(tx, {
              customerId,
              channel: "email",
              status: "pending",
              source: "chat_start",
              evidence: { command: "/start", messageId: message.externalId, note: "From not proven" },
              at: now,
            }),
          );
          return say("startByEmail");
        }
        const suppressed = await deps.db.suppression.findUnique({
          where: { channel_address: { channel: message.channel, address: message.sender.externalId } },
        });
        await consent("granted");
        return suppressed ? say("resubscribed") : say("welcome", { brand: deps.brandName });
      }
      case "help":
        return say("help");
      case "link": {
        if (!command.code) {
          const code = await issueLinkCode(deps.db, customerId, message.channel, now);
          return say("linkCode", { code, minutes: LINK_CODE_TTL_MS / 60_000 });
        }
        // an email's From is the sender's claim: a forged one must not join someone's chats to that address
        if (message.channel === "email") return say("linkNotByEmail", { code: command.code });
        const linked = await redeemLinkCode(deps.db, command.code, customerId, now);
        log.info({ channel: message.channel, result: linked.kind }, "link code entered");
        return say(linked.kind === "linked" ? "linked" : "linkInvalid");
      }
      case "rate": {
        if (!command.score) return say("ratingInvalid");
        const { thank } = await rate(command.score, { customerId, message, now });
        if (thank) return say("ratingThanks");
        return;
      }
    }
  }

  function rate(
    score: number,
    context: { customerId: string; message: InboundMessage; now: Date; surveyId?: string },
  ) {
    return recordRating(deps.db, {
      customerId: context.customerId,
      channel: context.message.channel,
      score,
      messageId: context.message.externalId,
      at: context.now,
      surveyId: context.surveyId,
    });
  }

  const onMessage = async (message: InboundMessage) => {
    const handled = await handle(message);
    log.debug(
      { channel: message.channel, externalId: message.externalId, handled },
      "inbound message handled",
    );
  };
  return Object.assign(onMessage, { handle });
}
