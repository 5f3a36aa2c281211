import type { ChannelHooks } from "../channel.ts";
import { emailReply } from "./reply-email.ts";
import { type EmailThread, emailThreadOf } from "./threading.ts";
import { unsubscribeHeaders } from "./unsubscribe.ts";

/**
 * What email does to a message the deliverer rendered, whichever transport sends it (Resend or the outbox):
 * a written reply answers the customer's last email in its conversation ("Re:" subject, `In-Reply-To` and
 * `References`, text and HTML, their email quoted below; `Auto-Submitted` when the bot wrote it), and
 * marketing carries the RFC 8058 `List-Unsubscribe` headers with its signed link.
 */
export const emailChannelHooks: Required<ChannelHooks> = {
  threadFor: (db, conversationId) => emailThreadOf(db, conversationId),
  prepare(message, context) {
    if (context.kind === "reply") {
      const reply = emailReply({
        text: message.text,
        locale: context.locale,
        timeZone: context.timeZone,
        thread: context.thread as EmailThread | undefined,
        automatic: context.automatic,
      });
      return { deliveryId: message.deliveryId, to: message.to, ...reply };
    }
    if (context.unsubscribeUrl === undefined) return message;
    return { ...message, headers: { ...message.headers, ...unsubscribeHeaders(context.unsubscribeUrl) } };
  },
};
