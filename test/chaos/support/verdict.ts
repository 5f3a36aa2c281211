import type { Message } from "grammy/types";
import { UNKNOWN_OUTCOME } from "../../../workers/deliver.ts";
import type { StoredEmail } from "../../fakes/index.ts";
import type { ChaosDelivery } from "./chaos-campaign.ts";

/** What the providers and the Delivery rows say after a scenario, and where they disagree. */
export interface Verdict {
  /** Planned Deliveries. */
  messages: number;
  email: number;
  telegram: number;
  /** Deliveries recorded sent. */
  sent: number;
  /** Messages at the providers beyond one per recipient (and beyond a batch's members per idempotency key). */
  duplicates: number;
  /** Deliveries whose message is at no provider and that do not say their outcome is unknown. */
  lost: number;
  /** Telegram Deliveries recorded failed with an unknown outcome (at most once: sent once or never). */
  unknown: number;
  /** Of those, how many Telegram did take (the answer was what got lost). */
  unknownDelivered: number;
  /** Every disagreement between rows and providers (the first 20). */
  problems: string[];
}

/**
 * Compares a campaign's Deliveries with what the fake providers hold: per recipient (address, chat) and per
 * idempotency key exactly one message; each `sent` row names the provider's message (id, batch key); no row
 * left unfinished. A Telegram row failed as {@link UNKNOWN_OUTCOME} may have one message or none.
 */
export function judge(
  rows: readonly ChaosDelivery[],
  emails: readonly StoredEmail[],
  telegramSent: readonly Message[],
): Verdict {
  const problems: string[] = [];
  let duplicates = 0;
  let lost = 0;
  let unknown = 0;
  let unknownDelivered = 0;

  const byAddress = new Map<string, StoredEmail[]>();
  const byKey = new Map<string, number>();
  for (const email of emails) {
    for (const to of email.to) byAddress.set(to, [...(byAddress.get(to) ?? []), email]);
    byKey.set(email.idempotencyKey ?? "", (byKey.get(email.idempotencyKey ?? "") ?? 0) + 1);
  }
  const byChat = new Map<string, Message[]>();
  for (const message of telegramSent) {
    const chat = String(message.chat.id);
    byChat.set(chat, [...(byChat.get(chat) ?? []), message]);
  }
  for (const [to, list] of byAddress)
    if (list.length > 1) {
      duplicates += list.length - 1;
      problems.push(`${to} received ${list.length} emails`);
    }
  for (const [chat, list] of byChat)
    if (list.length > 1) {
      duplicates += list.length - 1;
      problems.push(`chat ${chat} received ${list.length} messages`);
    }
  const members = new Map<string, number>();
  for (const row of rows)
    if (row.channel === "email" && row.batchKey)
      members.set(row.batchKey, (members.get(row.batchKey) ?? 0) + 1);
  for (const [key, stored] of byKey) {
    const expected = members.get(key) ?? 0;
    if (stored > expected)
      problems.push(`idempotency key ${key}: ${stored} emails for ${expected} Deliveries`);
  }

  for (const row of rows) {
    const where = `${row.channel} ${row.recipient} (${row.status}${row.reason ? ` ${row.reason}` : ""})`;
    if (row.channel === "email") {
      const email = byAddress.get(row.recipient ?? "")?.[0];
      if (!email) {
        lost += 1;
        problems.push(`${where}: no email at the provider`);
      } else if (row.status !== "sent") problems.push(`${where}: the provider has its email`);
      else if (email.id !== row.providerId)
        problems.push(`${where}: providerId ${row.providerId}, the provider's email is ${email.id}`);
      else if (email.idempotencyKey !== row.batchKey)
        problems.push(`${where}: sent under ${email.idempotencyKey}, recorded in batch ${row.batchKey}`);
      continue;
    }
    const messages = byChat.get(row.recipient ?? "") ?? [];
    if (row.status === "failed" && row.reason === UNKNOWN_OUTCOME) {
      unknown += 1;
      if (messages.length > 0) unknownDelivered += 1;
      continue;
    }
    if (messages.length === 0) {
      lost += 1;
      problems.push(`${where}: no message at Telegram`);
    } else if (row.status !== "sent") problems.push(`${where}: Telegram has its message`);
    else if (!messages.some((m) => `${m.chat.id}:${m.message_id}` === row.providerId))
      problems.push(`${where}: providerId ${row.providerId} is none of the chat's messages`);
  }
  return {
    messages: rows.length,
    email: rows.filter((r) => r.channel === "email").length,
    telegram: rows.filter((r) => r.channel === "telegram").length,
    sent: rows.filter((r) => r.status === "sent").length,
    duplicates,
    lost,
    unknown,
    unknownDelivered,
    problems: problems.slice(0, 20),
  };
}
