import { z } from "zod";
import type { BotTextKey } from "../i18n.ts";
import type { InboundMessage } from "../inbound.ts";

const bounded = (max: number) => z.string().max(max, { error: `expected at most ${max} characters` });
const sid = (prefixes: string, what: string) =>
  z.string().regex(new RegExp(`^(${prefixes})[0-9a-fA-F]{32}$`), { error: `expected ${what}` });

/**
 * The fields of Twilio's "A message comes in" webhook Rapport reads (form-encoded; Twilio sends more: FromCity,
 * ApiVersion, … kept in `raw`). `MessageSid` is SM… for an SMS and MM… for an MMS; `NumMedia` says how many
 * `MediaUrl<n>` / `MediaContentType<n>` pairs follow; `OptOutType` (STOP, START, HELP) is set when Twilio's
 * own opt-out handling matched a keyword.
 */
export const TwilioSmsForm = z.looseObject({
  MessageSid: sid("SM|MM", "Twilio's message id, SM or MM and 32 hex digits"),
  AccountSid: sid("AC", "Twilio's account id, AC and 32 hex digits"),
  From: bounded(64).min(1),
  To: bounded(64).min(1),
  Body: bounded(16_000).default(""),
  NumMedia: z
    .string()
    .regex(/^\d{1,2}$/, { error: "expected the number of media, 0 to 99" })
    .optional(),
  OptOutType: bounded(16).optional(),
});
export type TwilioSmsForm = z.infer<typeof TwilioSmsForm>;

/**
 * The keywords carriers require an SMS sender to honour (CTIA; Twilio's defaults), matched on the whole message,
 * case and surrounding spaces aside: each turns into the command every channel knows.
 */
export const SMS_KEYWORDS: Readonly<Record<string, "/stop" | "/start" | "/help">> = {
  STOP: "/stop",
  STOPALL: "/stop",
  UNSUBSCRIBE: "/stop",
  CANCEL: "/stop",
  END: "/stop",
  QUIT: "/stop",
  START: "/start",
  YES: "/start",
  UNSTOP: "/start",
  HELP: "/help",
  INFO: "/help",
};

/**
 * What the bot answers on SMS instead of the chat wording: keywords (STOP, START, HELP) rather than /commands,
 * the HELP reply carriers require, a STOP confirmation.
 */
export const SMS_TEXTS: Partial<Record<BotTextKey, BotTextKey>> = {
  help: "smsHelp",
  stopped: "smsStopped",
  resubscribed: "smsResubscribed",
  welcome: "smsWelcome",
};

/** A number in E.164 ("+" and 8 to 15 digits), else `undefined` (a short code, an alphanumeric sender). */
export function e164(number: string): string | undefined {
  return /^\+[1-9]\d{7,14}$/.test(number) ? number : undefined;
}

/** The command a message is, by its keyword (or Twilio's own `OptOutType`), else its text as written. */
export function keywordCommand(body: string, optOutType: string | undefined): string {
  const byTwilio = optOutType ? SMS_KEYWORDS[optOutType.trim().toUpperCase()] : undefined;
  return byTwilio ?? SMS_KEYWORDS[body.trim().toUpperCase()] ?? body;
}

/**
 * An inbound SMS (or MMS) as an `InboundMessage`. The sender is the `From` number: Twilio received the message
 * from the carrier network for that number, and signs the webhook, so the number is the customer's phone
 * (`sharedPhone`, as WhatsApp's wa_id; bots/identity.ts). Media are noted in `attachments` by their URLs.
 */
export function toInboundMessage(
  form: TwilioSmsForm,
  raw: Record<string, unknown>,
  at: Date,
): InboundMessage {
  const count = Math.min(Number(form.NumMedia ?? 0), 10);
  const attachments = Array.from({ length: count }, (_, i) => {
    const url = raw[`MediaUrl${i}`];
    const type = raw[`MediaContentType${i}`];
    return {
      kind: "media",
      ...(typeof url === "string" && { url: url.slice(0, 2_048) }),
      ...(typeof type === "string" && { mimeType: type.slice(0, 128) }),
    };
  });
  const phone = e164(form.From);
  return {
    channel: "sms",
    externalId: form.MessageSid,
    sender: { externalId: form.From },
    threadRef: form.From,
    text: keywordCommand(form.Body, form.OptOutType),
    sentAt: at,
    texts: SMS_TEXTS,
    ...(phone && { sharedPhone: phone }),
    ...(attachments.length > 0 && { attachments }),
    raw: raw as NonNullable<InboundMessage["raw"]>,
  };
}
