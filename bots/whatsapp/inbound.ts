import { z } from "zod";
import { commandForButtonData } from "../buttons.ts";
import type { InboundMessage } from "../inbound.ts";

/**
 * The WhatsApp Business Cloud API's webhook notification (`object: "whatsapp_business_account"`), as far as
 * Rapport reads it: `entry[].changes[].value` with `metadata.phone_number_id`, the senders' `contacts`
 * (`profile.name`, `wa_id`), `messages[]` and `statuses[]`. Loose: fields Meta adds are ignored, and each
 * message and status is read on its own so one Rapport does not understand never loses the others.
 */
export const WhatsAppNotification = z.object({
  object: z.string(),
  entry: z.array(
    z.object({
      changes: z.array(
        z.object({
          field: z.string().optional(),
          value: z.object({
            metadata: z.object({ phone_number_id: z.string() }).optional(),
            contacts: z.array(z.unknown()).optional(),
            messages: z.array(z.unknown()).optional(),
            statuses: z.array(z.unknown()).optional(),
          }),
        }),
      ),
    }),
  ),
});
export type WhatsAppNotification = z.infer<typeof WhatsAppNotification>;

const Contact = z.object({
  wa_id: z.string(),
  profile: z.object({ name: z.string().optional() }).optional(),
});

const Media = z.object({
  id: z.string().optional(),
  mime_type: z.string().optional(),
  caption: z.string().optional(),
  filename: z.string().optional(),
});

const WaMessage = z.object({
  from: z.string().regex(/^\d{6,20}$/),
  id: z.string().min(1).max(256),
  timestamp: z.string().regex(/^\d{1,12}$/),
  type: z.string(),
  text: z.object({ body: z.string() }).optional(),
  button: z.object({ text: z.string().optional(), payload: z.string().optional() }).optional(),
  interactive: z
    .object({
      type: z.string(),
      button_reply: z.object({ id: z.string(), title: z.string() }).optional(),
      list_reply: z
        .object({ id: z.string(), title: z.string(), description: z.string().optional() })
        .optional(),
    })
    .optional(),
  location: z
    .object({
      latitude: z.number(),
      longitude: z.number(),
      name: z.string().optional(),
      address: z.string().optional(),
    })
    .optional(),
  contacts: z
    .array(
      z.object({
        name: z.object({ formatted_name: z.string().optional() }).optional(),
        phones: z.array(z.object({ phone: z.string().optional(), wa_id: z.string().optional() })).optional(),
      }),
    )
    .optional(),
  reaction: z.object({ message_id: z.string().optional(), emoji: z.string().optional() }).optional(),
  image: Media.optional(),
  video: Media.optional(),
  document: Media.optional(),
  audio: Media.optional(),
  sticker: Media.optional(),
});
type WaMessage = z.infer<typeof WaMessage>;

const MEDIA_TYPES = ["image", "video", "document", "audio", "sticker"] as const;

/** Words a WhatsApp customer types (or a template's quick reply sends) to stop or restart marketing. */
const STOP_WORDS = new Set(["stop", "unsubscribe", "stop promotions", "berhenti", "stopp", "rezygnuję"]);
const START_WORDS = new Set(["start", "subscribe", "resume promotions", "mulai"]);

/** What normalising one message gave: a message for the core, or why there is none (logged, not an error). */
export type Normalised = { ok: true; message: InboundMessage } | { ok: false; reason: string };

const skip = (reason: string): Normalised => ({ ok: false, reason });

/**
 * Every customer message of a notification as an `InboundMessage`, in order (and why the others were skipped).
 * The sender is their `wa_id`: a phone number WhatsApp proved when the account was registered, and Meta signs
 * the notification, so it is also `sharedPhone` (bots/identity.ts: a platform's own verification may set
 * `Customer.phone` and join the customer who has that number).
 */
export function inboundMessages(notification: WhatsAppNotification): Normalised[] {
  const out: Normalised[] = [];
  for (const entry of notification.entry) {
    for (const change of entry.changes) {
      const names = new Map<string, string>();
      for (const contact of change.value.contacts ?? []) {
        const parsed = Contact.safeParse(contact);
        if (parsed.success && parsed.data.profile?.name)
          names.set(parsed.data.wa_id, parsed.data.profile.name);
      }
      for (const raw of change.value.messages ?? []) {
        const parsed = WaMessage.safeParse(raw);
        if (!parsed.success) {
          out.push(skip(`a message not understood (${parsed.error.issues[0]?.path.join(".") || "message"})`));
          continue;
        }
        out.push(toInboundMessage(parsed.data, names.get(parsed.data.from), raw));
      }
    }
  }
  return out;
}

/**
 * One WhatsApp message as an `InboundMessage`: text as written; a template's quick reply (`button`) and an
 * interactive reply (`button_reply`, `list_reply`) as their titles, a rating button (`rate:N`) as "/rate N";
 * "STOP" and the other stop and start words as "/stop" and "/start"; a location as its coordinates (and
 * name and address); a contact card as its name and numbers (the first number kept as an unverified claim);
 * media as its caption, the file noted in `attachments`; a reaction as its emoji, kept without answering.
 */
export function toInboundMessage(message: WaMessage, name: string | undefined, raw: unknown): Normalised {
  const waId = message.from;
  const base = {
    channel: "whatsapp" as const,
    externalId: message.id,
    sender: { externalId: waId, ...(name ? { displayName: name } : {}) },
    threadRef: waId,
    sentAt: new Date(Number(message.timestamp) * 1000),
    ...(toE164(waId) ? { sharedPhone: toE164(waId) } : {}),
    raw: JSON.parse(JSON.stringify(raw)) as NonNullable<InboundMessage["raw"]>,
  };
  const ok = (fields: Partial<InboundMessage> & { text: string }): Normalised => ({
    ok: true,
    message: { ...base, ...fields },
  });
  switch (message.type) {
    case "text":
      return message.text ? ok({ text: command(message.text.body) }) : skip("a text message without text");
    case "button": {
      const { payload, text } = message.button ?? {};
      const answer = commandForButtonData(payload) ?? text ?? payload;
      return answer ? ok({ text: command(answer) }) : skip("a button without text");
    }
    case "interactive": {
      const reply = message.interactive?.button_reply ?? message.interactive?.list_reply;
      if (!reply) return skip(`an interactive ${message.interactive?.type ?? "message"} without a reply`);
      return ok({ text: commandForButtonData(reply.id) ?? command(reply.title) });
    }
    case "location": {
      const where = message.location;
      if (!where) return skip("a location without coordinates");
      const place = [where.name, where.address].filter(Boolean).join(", ");
      const coordinates = `${where.latitude}, ${where.longitude}`;
      return ok({ text: `📍 ${place ? `${place} (${coordinates})` : coordinates}` });
    }
    case "contacts": {
      const cards = message.contacts ?? [];
      if (cards.length === 0) return skip("a contacts message without contacts");
      const lines = cards.map((card) => {
        const phones = (card.phones ?? []).map((p) => p.phone).filter(Boolean);
        return `👤 ${[card.name?.formatted_name, ...phones].filter(Boolean).join(" ")}`;
      });
      const claimed = cards
        .flatMap((card) => card.phones ?? [])
        .map((p) => toE164(p.wa_id ?? p.phone ?? ""))
        .find((phone) => phone !== undefined && phone !== toE164(waId));
      return ok({ text: lines.join("\n"), ...(claimed ? { claimedPhone: claimed } : {}) });
    }
    case "reaction": {
      const emoji = message.reaction?.emoji;
      if (!emoji) return skip("a reaction removed");
      // a reaction is kept on the customer's history, never answered and never opening a conversation
      return ok({ text: emoji, conversational: false });
    }
    default: {
      const kind = (MEDIA_TYPES as readonly string[]).includes(message.type)
        ? (message.type as (typeof MEDIA_TYPES)[number])
        : undefined;
      const media = kind ? message[kind] : undefined;
      if (!kind || !media) return skip(`a ${message.type} message`);
      const file = {
        kind,
        ...(media.id ? { mediaId: media.id } : {}),
        ...(media.mime_type ? { mimeType: media.mime_type } : {}),
        ...(media.filename ? { name: media.filename } : {}),
      };
      return ok({ text: media.caption ?? "", attachments: [file] });
    }
  }
}

/** "STOP" (and the other stop or start words, alone in a message) as the command every channel knows. */
function command(text: string): string {
  const word = text.trim().toLowerCase();
  if (STOP_WORDS.has(word)) return "/stop";
  if (START_WORDS.has(word)) return "/start";
  return text;
}

/** A phone number in E.164 with "+", or `undefined` when it is not 8 to 15 digits. */
function toE164(phone: string): string | undefined {
  const digits = phone.replace(/[\s()+-]/g, "");
  return /^[1-9]\d{7,14}$/.test(digits) ? `+${digits}` : undefined;
}
