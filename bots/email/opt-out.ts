import type { ChannelName } from "../../lib/channels.ts";
import type { Prisma } from "../../lib/db/index.ts";

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
 * Records a customer's marketing consent on a channel as denied (`{ status, at, via }`, the shape
 * bots/consent.ts writes), locking the customer row first so concurrent opt-outs cannot lose each other's
 * writes. Leaves an earlier denial as it was. Returns whether anything changed.
 */
export async function denyConsent(
  tx: Tx,
  input: { customerId: string; channel: ChannelName; via: string; at: Date },
): Promise<boolean> {
  await tx.$queryRaw`SELECT id FROM "Customer" WHERE id = ${input.customerId}::uuid FOR UPDATE`;
  const customer = await tx.customer.findUnique({
    where: { id: input.customerId },
    select: { consent: true },
  });
  if (!customer) return false;
  const consent = { ...((customer.consent ?? {}) as Record<string, unknown>) };
  if ((consent[input.channel] as { status?: unknown } | undefined)?.status === "denied") return false;
  consent[input.channel] = { status: "denied", at: input.at.toISOString(), via: input.via };
  await tx.customer.update({
    where: { id: input.customerId },
    data: { consent: consent as Prisma.InputJsonValue },
  });
  return true;
}
