import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Db, Prisma } from "../../../lib/db/index.ts";
import { QUEUE, type QueueContext, queueFor } from "../../../workers/index.ts";
import type { FakeResend, ResendRequest, StoredEmail } from "../../fakes/index.ts";
import { startTestApp, type TestApp } from "../../support/app.ts";
import { waitFor } from "../../support/wait.ts";

/**
 * A temporary campaigns folder holding one marketing email campaign of the promo template, scheduled once at
 * `dueAt` (UTC wall time, to the minute), for everyone, without quiet hours or caps. Returns the folder.
 */
export function writeScheduledCampaign(id: string, dueAt: Date): string {
  const dir = mkdtempSync(path.join(tmpdir(), "rapport-campaigns-"));
  const at = `${dueAt.toISOString().slice(0, 16)}:00`;
  writeFileSync(
    path.join(dir, `${id}.yaml`),
    `id: ${id}
name: ${id}
kind: marketing
trigger:
  schedule: { at: ${at}, timezone: UTC }
channels: [email]
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

/**
 * Inserts `count` customers in one set-based statement: `<prefix>-00001@example.com` …, names, the three
 * supported locales in turn, and granted email consent (marketing needs it under the default opt-in policy).
 */
export async function seedCustomers(db: Db, count: number, prefix: string): Promise<void> {
  await db.$executeRaw(Prisma.sql`
    INSERT INTO "Customer" (email, name, locale, consent)
    SELECT ${prefix} || '-' || lpad(i::text, 5, '0') || '@example.com', 'Customer ' || i,
      (ARRAY['en', 'id', 'pl'])[1 + i % 3], '{"email": {"status": "granted", "via": "import"}}'::jsonb
    FROM generate_series(1, ${count}::int) AS i`);
}

/** A campaign's Deliveries: how many exist, how many are final (sent, failed, skipped, suppressed), how many sent. */
export async function deliveryCounts(
  db: Db,
  campaignId: string,
): Promise<{ rows: number; final: number; sent: number }> {
  const [counts] = await db.$queryRaw<Array<{ rows: number; final: number; sent: number }>>(Prisma.sql`
    SELECT count(*)::int AS rows,
      (count(*) FILTER (WHERE status IN ('sent', 'failed', 'skipped', 'suppressed')))::int AS final,
      (count(*) FILTER (WHERE status = 'sent'))::int AS sent
    FROM "Delivery" WHERE "campaignId" = ${campaignId}`);
  return counts!;
}

/**
 * Polls `probe` every `everyMs` until it returns a value other than undefined; fails after `timeoutMs` with
 * `what`. Unlike `waitFor` (every 50 ms), the pace is the caller's: fast to catch a short-lived state such as
 * a fan-out half done, slow to leave the CPU to the processes under test.
 */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { everyMs: number; timeoutMs: number },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, options.everyMs));
  }
}

/** A campaign's Deliveries as the exactly-once assertions need them. */
export function deliveriesOf(db: Db, campaignId: string) {
  return db.delivery.findMany({
    where: { campaignId },
    select: { recipient: true, status: true, providerId: true, batchKey: true, attempts: true },
  });
}

/** One Delivery as {@link deliveriesOf} reads it. */
export type DeliveryRow = Awaited<ReturnType<typeof deliveriesOf>>[number];

/**
 * What a customer or the provider's dashboard would show going wrong: an address that got two emails, a
 * Delivery with no email, one whose recorded provider id is not the email the provider holds for it, or one
 * recorded in another batch than the one its email was sent in. Empty when all is well (the first 20 else).
 */
export function mismatches(rows: readonly DeliveryRow[], emails: readonly StoredEmail[]): string[] {
  const byAddress = new Map<string, StoredEmail>();
  const problems: string[] = [];
  for (const email of emails) {
    for (const to of email.to) {
      if (byAddress.has(to)) problems.push(`${to} received two emails`);
      byAddress.set(to, email);
    }
  }
  for (const row of rows) {
    const email = byAddress.get(row.recipient ?? "");
    if (!email) problems.push(`${row.recipient}: no email at the provider`);
    else if (email.id !== row.providerId)
      problems.push(`${row.recipient}: providerId ${row.providerId}, the provider's email is ${email.id}`);
    else if (email.idempotencyKey !== row.batchKey)
      problems.push(
        `${row.recipient}: sent under ${email.idempotencyKey}, recorded in batch ${row.batchKey}`,
      );
  }
  return problems.slice(0, 20);
}

/** The `POST /emails/batch` calls the fake received, in order. */
export const batchCalls = (resend: FakeResend): ResendRequest[] =>
  resend.requests.filter((r) => r.path === "/emails/batch");

/** The idempotency key a call was made under. */
export const keyOf = (request: ResendRequest): string => request.headers["idempotency-key"] ?? "";

/** Waits until the email queue holds nothing that could still send. */
export async function drained(queues: QueueContext, timeoutMs: number): Promise<void> {
  await waitFor(
    "the email queue to drain",
    async () => {
      const counts = await queueFor(queues, QUEUE.deliver("email")).getJobCounts(
        "waiting",
        "active",
        "delayed",
        "prioritized",
      );
      return Object.values(counts).every((n) => n === 0);
    },
    timeoutMs,
  );
}

/**
 * Waits until the campaign has `total` Deliveries, every one final (sent, failed, skipped, suppressed), and the
 * email queue has drained.
 */
export async function allDeliveriesFinal(
  db: Db,
  queues: QueueContext,
  campaignId: string,
  total: number,
  timeoutMs: number,
): Promise<void> {
  await waitFor(
    "every Delivery to be final",
    async () => {
      const now = await deliveryCounts(db, campaignId);
      return now.rows === total && now.final === total;
    },
    timeoutMs,
  );
  await drained(queues, 15_000);
}

/** Jobs of the email and campaigns queues that ended failed, with why: their emails will never be sent. */
export async function failedJobs(queues: QueueContext): Promise<string[]> {
  const failed: string[] = [];
  for (const name of [QUEUE.deliver("email"), QUEUE.campaigns])
    for (const job of await queueFor(queues, name).getFailed())
      failed.push(`${name} ${job.id}: ${job.failedReason}`);
  return failed;
}

/**
 * When each fan-out chunk was written and how many rows it held: every row of one `INSERT … SELECT` shares
 * its transaction's `createdAt`.
 */
export function fanOutChunks(db: Db, campaignId: string): Promise<Array<{ at: Date; rows: number }>> {
  return db.$queryRaw<Array<{ at: Date; rows: number }>>(Prisma.sql`
    SELECT "createdAt" AS at, count(*)::int AS rows FROM "Delivery" WHERE "campaignId" = ${campaignId}
    GROUP BY 1 ORDER BY 1`);
}

/**
 * Rapport in this process (`startTestApp`) sending one campaign, due a minute ago, to `customers` new
 * customers through the fake Resend at 5 requests a second, with a campaign clock ticking every second.
 */
export async function startCampaignApp(options: {
  databaseUrl: string;
  db: Db;
  redis: { url: string; prefix: string };
  resend: FakeResend;
  campaignId: string;
  customers: number;
}): Promise<{ app: TestApp; close(): Promise<void> }> {
  await seedCustomers(options.db, options.customers, options.campaignId);
  const campaignsDir = writeScheduledCampaign(options.campaignId, new Date(Date.now() - 60_000));
  const app = await startTestApp({
    databaseUrl: options.databaseUrl,
    redisUrl: options.redis.url,
    prefix: options.redis.prefix,
    env: {
      RESEND_API_KEY: options.resend.apiKey,
      RESEND_BASE_URL: options.resend.baseUrl,
      RESEND_REQUESTS_PER_SECOND: "5",
      RAPPORT_CAMPAIGNS_DIR: campaignsDir,
      RAPPORT_CAMPAIGN_CLOCK: "1",
    },
  }).catch((error: unknown) => {
    rmSync(campaignsDir, { recursive: true, force: true });
    throw error;
  });
  return {
    app,
    async close() {
      await app.close();
      rmSync(campaignsDir, { recursive: true, force: true });
    },
  };
}
