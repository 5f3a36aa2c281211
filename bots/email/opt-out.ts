import type { ChannelName } from "../../lib/channels.ts";
import type { Prisma } from "../../lib/db/index.ts";
import { recordConsent } from "../consent.ts";

type Tx = Prisma.TransactionClient;

/** Why an address is suppressed; a stronger reason replaces a weaker one, never the reverse. */
export type SuppressionReason = "unsubscribed" | "bounced" | "complained" | "stopped" | "manual";

// Bounces and complaints stop transactional mail too (workers/deliver.ts), so they outrank opt-outs.
const STRENGTH: Record<SuppressionReason, number> = {
  manual: 1,
  stopped: 1,
  unsubscribed: 1,
  bounced: 2,
  complained: 3,
};

/** An email address as Rapport stores it: the bare address of "Name <addr>", trimmed and lower-cased. */
export function normalizeEmail(address: string): string {
  const bare = /<([^<>]+)>\s*$/.exec(address)?.[1] ?? address;
  return bare.trim().toLowerCase();
}

/**
 * Suppresses addresses on a channel. An address already suppressed keeps its row unless the new reason is
 * stronger (a bounce after an unsubscribe). Returns how many rows were created or strengthened.
 */
export async function suppressAddresses(
  tx: Tx,
  input: {
    channel: ChannelName;
    addresses: string[];
    customerId: string | null;
    reason: SuppressionReason;
    source: string;
  },
): Promise<number> {
  let changed = 0;
  for (const address of new Set(input.addresses.filter((a) => a !== ""))) {
    const key = { channel_address: { channel: input.channel, address } };
    const existing = await tx.suppression.findUnique({ where: key, select: { reason: true } });
    if (existing && STRENGTH[existing.reason] >= STRENGTH[input.reason]) continue;
    await tx.suppression.upsert({
      where: key,
      create: {
        ...key.channel_address,
        customerId: input.customerId,
        reason: input.reason,
        source: input.source,
      },
      update: { reason: input.reason, source: input.source },
    });
    changed += 1;
  }
  return changed;
}

/**
 * Records a customer's marketing consent on a channel as denied: a ConsentEvent and the customer's latest
 * answer (bots/consent.ts `recordConsent`, which locks the customer row so concurrent opt-outs cannot lose
 * each other's writes). Leaves an earlier denial as it was. Returns whether anything changed.
 */
export async function denyConsent(
  tx: Tx,
  input: {
    customerId: string;
    channel: ChannelName;
    via: string;
    at: Date;
    evidence?: Record<string, unknown>;
  },
): Promise<boolean> {
  return recordConsent(tx, {
    customerId: input.customerId,
    channel: input.channel,
    status: "denied",
    source: input.via,
    at: input.at,
    ...(input.evidence && { evidence: input.evidence }),
  });
}
