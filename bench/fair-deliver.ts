import { randomUUID } from "node:crypto";
import pg from "pg";
import { isBatchChannel, isRejected, type OutboundMessage } from "../bots/index.ts";
import type { CountingChannel } from "./channels.ts";
import { timed } from "./measure.ts";

/**
 * The fair baseline of a deliver line: the least work a correct system must do to send queued deliveries,
 * written by hand with node-postgres, no BullMQ. Each of `concurrency` loops, on a pool of the worker's size:
 *
 * 1. claims up to `claim` due, queued deliveries of the channel in one statement (`UPDATE … WHERE id IN
 *    (SELECT … FOR UPDATE SKIP LOCKED LIMIT n) RETURNING …`), marking them as the worker does before a send:
 *    `sendStartedAt` on a channel without idempotency key (at most once), a `batchKey` for a batch of email
 *    (a retry sends the same batch);
 * 2. fills each message's text from the data planned into the row (no template engine: the least a
 *    rendering can cost) and sends it through the same no-op channel, one call per message or one
 *    `sendBatch` per claim;
 * 3. records the outcome (status sent, providerId, sentAt, attempts) and the outbound Interaction of every
 *    message of the claim in ONE statement (a data-modifying CTE), with the columns `recordSent` writes.
 *
 * No send-time checks (suppression, consent, caps, quiet hours), no shop coupons, no retries, no metrics:
 * what ours does beyond this is what the ratio prices.
 */
export interface FairDeliverRun {
  /** Deliveries sent. */
  sent: number;
  ms: number;
  /** CPU this process spent (the loops; PostgreSQL is another process). */
  cpuMs: number;
  /** Statements sent: claims (the last, empty one of each loop included) and records. */
  statements: number;
}

/** A claimed Delivery, as the claim statement returns it. */
interface Claimed {
  id: string;
  key: string;
  recipient: string | null;
  data: { headline?: string; body?: string; code?: string; customer?: { name?: string } } | null;
}

/** Claims due, queued deliveries of a channel without idempotency key: marks each send as begun. */
const CLAIM_AT_MOST_ONCE = `
  UPDATE "Delivery" d SET "sendStartedAt" = $3, "updatedAt" = $3
  WHERE d.id IN (
    SELECT id FROM "Delivery"
    WHERE status = 'queued' AND channel = $1::"Channel" AND "scheduledAt" <= $3 AND "sendStartedAt" IS NULL
    ORDER BY "scheduledAt" LIMIT $2 FOR UPDATE SKIP LOCKED)
  RETURNING d.id, d.key, d.recipient, d.data`;

/** Claims due, queued campaign emails into one batch, for good (a retry sends the same batch). */
const CLAIM_BATCH = `
  UPDATE "Delivery" d SET "batchKey" = $4, "updatedAt" = $3
  WHERE d.id IN (
    SELECT id FROM "Delivery"
    WHERE status = 'queued' AND channel = $1::"Channel" AND "scheduledAt" <= $3 AND "batchKey" IS NULL
    ORDER BY "scheduledAt" LIMIT $2 FOR UPDATE SKIP LOCKED)
  RETURNING d.id, d.key, d.recipient, d.data`;

/** Records a claim's sends and their outbound Interactions in one statement, as `recordSent` does in two. */
const RECORD = `
  WITH v AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]) AS v(id, pid, text)),
  sent AS (
    UPDATE "Delivery" d SET status = 'sent', "sentAt" = $4, "providerId" = v.pid, attempts = d.attempts + 1,
      error = NULL, "updatedAt" = $4
    FROM v WHERE d.id = v.id AND d.status <> 'sent'
    RETURNING d.id, d."customerId", d."conversationId", d.channel, v.pid, v.text)
  INSERT INTO "Interaction" ("customerId", "conversationId", channel, direction, author, "externalId", text,
    "sentAt", "deliveryId")
  SELECT "customerId", "conversationId", channel, 'outbound', 'bot', channel::text || ':' || pid, text, $4, id
  FROM sent
  ON CONFLICT DO NOTHING`;

/** The message of a claimed row: its planned data filled into a fixed text. */
function fill(row: Claimed, email: boolean): OutboundMessage {
  const data = row.data ?? {};
  const text = `Hi ${data.customer?.name ?? "there"},\n\n${data.body ?? ""}\nYour code: ${data.code ?? ""}`;
  return {
    deliveryId: row.id,
    to: row.recipient ?? "",
    text,
    ...(email && { subject: data.headline ?? "" }),
  };
}

/** Sends every due, queued delivery of `channel` as described above; see {@link FairDeliverRun}. */
export async function fairDeliver(options: {
  url: string;
  poolSize: number;
  concurrency: number;
  /** Deliveries per claim: 1 for one message per job, 100 for an email batch. */
  claim: number;
  channel: CountingChannel;
  /** Batches through `sendBatch` (the channel must have it), else one `send` per message. */
  batch: boolean;
  now: Date;
}): Promise<FairDeliverRun> {
  const { channel, now } = options;
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize, options: "-c jit=off" });
  pool.on("error", () => {}); // an idle client's error (the database dropped under it at cleanup)
  try {
    // the pool connected before the clock starts, as the worker's Prisma pool is by then
    const clients = await Promise.all(Array.from({ length: options.poolSize }, () => pool.connect()));
    for (const client of clients) client.release();
    let statements = 0;
    let sent = 0;
    const send = async (
      rows: Claimed[],
      batchKey: string,
    ): Promise<{ ids: string[]; pids: string[]; texts: string[] }> => {
      const messages = rows.map((row) => fill(row, options.batch));
      const ids = rows.map((row) => row.id);
      const texts = messages.map((m) => (m.subject ? `${m.subject}\n\n${m.text}` : m.text));
      if (options.batch) {
        if (!isBatchChannel(channel)) throw new Error(`${channel.name} has no sendBatch`);
        const results = await channel.sendBatch(messages, batchKey);
        return { ids, pids: results.map((r) => (isRejected(r) ? "" : r.providerId)), texts };
      }
      const pids: string[] = [];
      for (let i = 0; i < rows.length; i++)
        pids.push((await channel.send(messages[i]!, rows[i]!.key)).providerId);
      return { ids, pids, texts };
    };
    const loop = async () => {
      for (;;) {
        const batchKey = `fair/${randomUUID()}`;
        const claimed = options.batch
          ? await pool.query<Claimed>(CLAIM_BATCH, [channel.name, options.claim, now, batchKey])
          : await pool.query<Claimed>(CLAIM_AT_MOST_ONCE, [channel.name, options.claim, now]);
        statements++;
        if (claimed.rows.length === 0) return;
        const { ids, pids, texts } = await send(claimed.rows, batchKey);
        await pool.query(RECORD, [ids, pids, texts, now]);
        statements++;
        sent += ids.length;
      }
    };
    const cpuBefore = process.cpuUsage();
    const run = await timed(() => Promise.all(Array.from({ length: options.concurrency }, loop)));
    const cpu = process.cpuUsage(cpuBefore);
    return { sent, ms: run.ms, cpuMs: Math.round((cpu.user + cpu.system) / 1000), statements };
  } finally {
    await pool.end();
  }
}
