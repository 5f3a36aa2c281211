import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Db, Prisma } from "../../../lib/db/index.ts";

/** First Telegram chat id of the seeded customers: customer i chats in `TELEGRAM_CHAT_BASE + i`. */
export const TELEGRAM_CHAT_BASE = 880_000_000;

/**
 * A temporary campaigns folder holding one marketing campaign of the promo template, due once at `dueAt`,
 * for everyone, on Telegram where the customer has a chat and by email otherwise. Returns the folder.
 */
export function writeMixedCampaign(id: string, dueAt: Date): string {
  const dir = mkdtempSync(path.join(tmpdir(), "rapport-chaos-campaigns-"));
  const at = `${dueAt.toISOString().slice(0, 16)}:00`;
  writeFileSync(
    path.join(dir, `${id}.yaml`),
    `id: ${id}
name: ${id}
kind: marketing
trigger:
  schedule: { at: ${at}, timezone: UTC }
channels: [telegram, email]
message:
  template: promo
  data:
    headline: "Year-end sale: early access"
    body: "Freshly roasted beans, brewing gear and gift sets for the holidays."
    discount: 20
    code: VIP20
    endsAt: "2026-12-06T16:59:59Z"
`,
  );
  return dir;
}

/** Marketing consent granted on `channel` (a campaign under the default opt-in policy may send there). */
const granted = (channel: string) =>
  JSON.stringify({ [channel]: { status: "granted", at: "2026-01-01T00:00:00.000Z", via: "chaos-seed" } });

/**
 * Seeds `email` customers reachable by email only (`<prefix>-00001@example.com` …) and `telegram` customers
 * with a Telegram chat and no address (chat `TELEGRAM_CHAT_BASE + i`), each having granted marketing consent
 * on that channel, in two set-based statements.
 */
export async function seedMixedAudience(
  db: Db,
  counts: { email: number; telegram: number },
  prefix: string,
): Promise<void> {
  await db.$executeRaw(Prisma.sql`
    INSERT INTO "Customer" (email, name, locale, consent)
    SELECT ${prefix} || '-' || lpad(i::text, 5, '0') || '@example.com', 'Customer ' || i,
      (ARRAY['en', 'id', 'pl'])[1 + i % 3], ${granted("email")}::jsonb
    FROM generate_series(1, ${counts.email}::int) AS i`);
  if (counts.telegram === 0) return;
  await db.$executeRaw(Prisma.sql`
    WITH made AS (
      INSERT INTO "Customer" (name, locale, consent)
      SELECT ${prefix} || ' chat ' || i, (ARRAY['en', 'id', 'pl'])[1 + i % 3], ${granted("telegram")}::jsonb
      FROM generate_series(1, ${counts.telegram}::int) AS i
      RETURNING id, name)
    INSERT INTO "Identity" (channel, "externalId", "customerId")
    SELECT 'telegram', (${TELEGRAM_CHAT_BASE}::bigint + split_part(name, ' chat ', 2)::int)::text, id FROM made`);
}

/** A campaign's Deliveries by channel and status. */
export async function progress(
  db: Db,
  campaignId: string,
): Promise<{ rows: number; queued: number; final: number; sent: number }> {
  const [counts] = await db.$queryRaw<Array<{ rows: number; queued: number; final: number; sent: number }>>(
    Prisma.sql`
    SELECT count(*)::int AS rows,
      (count(*) FILTER (WHERE status <> 'planned'))::int AS queued,
      (count(*) FILTER (WHERE status IN ('sent', 'failed', 'skipped', 'suppressed')))::int AS final,
      (count(*) FILTER (WHERE status = 'sent'))::int AS sent
    FROM "Delivery" WHERE "campaignId" = ${campaignId}`,
  );
  return counts!;
}

/** A campaign's Deliveries as the exactly-once checks need them. */
export function chaosDeliveries(db: Db, campaignId: string) {
  return db.delivery.findMany({
    where: { campaignId },
    select: {
      id: true,
      channel: true,
      recipient: true,
      status: true,
      reason: true,
      providerId: true,
      batchKey: true,
      attempts: true,
    },
  });
}

/** One Delivery as {@link chaosDeliveries} reads it. */
export type ChaosDelivery = Awaited<ReturnType<typeof chaosDeliveries>>[number];
