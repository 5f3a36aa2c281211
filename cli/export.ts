import { createWriteStream } from "node:fs";
import { rename, rm, writeFile } from "node:fs/promises";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { loadCampaigns } from "../campaigns/index.ts";
import { recordAudit } from "../console/auth/audit.ts";
import { collectCustomerExport, countRows } from "../console/customers/export.ts";
import {
  afterKey,
  customerSource,
  type ExportFormat,
  exportLines,
  rowsOf,
  type Source,
} from "../console/customers/rows-export.ts";
import { type Db, Prisma } from "../lib/db/index.ts";
import { CliError, type DbCommandContext } from "./campaigns-context.ts";
import { campaignsDir } from "./campaigns-files.ts";
import { formatCount } from "./format.ts";
import { createProgress } from "./progress.ts";

/** What `rapport export` can write. */
export const EXPORT_KINDS = ["customers", "orders", "deliveries", "segment"] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

export type { ExportFormat };

export interface ExportOptions {
  kind: ExportKind;
  /** The segment's name, for `segment`. */
  segment?: string;
  /** Only this campaign's deliveries, for `deliveries`. */
  campaign?: string;
  /** `csv` or `jsonl`. Defaults to the file's extension (`.jsonl`, `.ndjson`; else CSV), or CSV on stdout. */
  format?: string;
  /** A file to write (`.gz` at the end: gzipped); stdout when unset or `-`. */
  out?: string;
  /** Rows fetched a page at a time; the export never holds more. Defaults to 2 000. */
  pageSize?: number;
}

/** Purchases, one row per order, with what was refunded of it and its lines. */
function orderSource(db: Db): Source {
  return {
    columns: [
      "id",
      "order_id",
      "customer_id",
      "email",
      "occurred_at",
      "currency",
      "total",
      "refunded",
      "source",
      "items",
    ],
    key: "id",
    count: async () =>
      Number(
        (await db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM "Event" WHERE type = 'purchase'`)[0]!
          .n,
      ),
    page: (after, limit) =>
      db.$queryRaw`SELECT e.id::text AS id, e."externalId" AS order_id, e."customerId"::text AS customer_id,
          c.email, e."occurredAt" AS occurred_at, e.currency, e.value::text AS total,
          COALESCE((SELECT sum(x.value) FROM "Event" x WHERE x."customerId" = e."customerId" AND x.type = 'refund'
            AND x.properties ->> 'orderId' = e."externalId"), 0)::text AS refunded,
          e.source,
          COALESCE((SELECT jsonb_agg(jsonb_build_object('sku', p.sku, 'name', p.name, 'quantity', p.quantity,
            'unitPrice', p."unitPrice"::text) ORDER BY p.sku) FROM "Purchase" p WHERE p."eventId" = e.id),
            '[]'::jsonb) AS items
        FROM "Event" e JOIN "Customer" c ON c.id = e."customerId"
        WHERE e.type = 'purchase' AND ${afterKey(Prisma.sql`e.id`, after)}
        ORDER BY e.id LIMIT ${limit}`,
  };
}

/** Deliveries (every message planned, sent, skipped or failed), optionally of one campaign. */
function deliverySource(db: Db, campaign: string | undefined): Source {
  const scope = campaign === undefined ? Prisma.sql`TRUE` : Prisma.sql`d."campaignId" = ${campaign}`;
  return {
    columns: [
      "id",
      "campaign_id",
      "step",
      "variant",
      "kind",
      "customer_id",
      "channel",
      "recipient",
      "status",
      "reason",
      "scheduled_at",
      "sent_at",
      "delivered_at",
      "opened_at",
      "clicked_at",
      "failed_at",
    ],
    key: "id",
    count: async () =>
      Number(
        (await db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM "Delivery" d WHERE ${scope}`)[0]!.n,
      ),
    page: (after, limit) =>
      db.$queryRaw`SELECT d.id::text AS id, d."campaignId" AS campaign_id, d.step, d.variant, d.kind::text AS kind,
          d."customerId"::text AS customer_id, d.channel::text AS channel, d.recipient, d.status::text AS status,
          d.reason, d."scheduledAt" AS scheduled_at, d."sentAt" AS sent_at, d."deliveredAt" AS delivered_at,
          d."openedAt" AS opened_at, d."clickedAt" AS clicked_at, d."failedAt" AS failed_at
        FROM "Delivery" d WHERE ${scope} AND ${afterKey(Prisma.sql`d.id`, after)}
        ORDER BY d.id LIMIT ${limit}`,
  };
}

/** The format asked for, else the one the file's name says, else CSV. */
export function exportFormat(format: string | undefined, out: string | undefined): ExportFormat {
  if (format !== undefined) {
    if (format === "csv" || format === "jsonl") return format;
    throw new CliError(`unknown format "${format}": use csv or jsonl`);
  }
  const name = (out ?? "").replace(/\.gz$/, "");
  return /\.(jsonl|ndjson)$/.test(name) ? "jsonl" : "csv";
}

/** Loads the campaigns folder's segments and finds `name` among them. */
async function segmentWhere(ctx: DbCommandContext, name: string) {
  const dir = campaignsDir(ctx.config);
  const { segments } = await loadCampaigns(dir, {
    baseCurrency: ctx.config.RAPPORT_BASE_CURRENCY,
    now: new Date(ctx.clock.now()),
  });
  const segment = segments.byName.get(name);
  if (segment) return segment;
  const known = [...segments.byName.keys()];
  if (segments.broken.has(name)) {
    throw new CliError(
      `segment "${name}" in ${dir}/segments.yaml has errors: run \`rapport campaigns validate\` to see them`,
    );
  }
  throw new CliError(
    `no segment "${name}" in ${dir}/segments.yaml${known.length ? ` (there are: ${known.join(", ")})` : ""}`,
  );
}

/**
 * `rapport export <kind>`: streams customers, orders, deliveries or a segment's members as CSV or JSON lines
 * to a file or stdout, a page of rows at a time (keyset pagination, so memory stays flat however many rows
 * there are), with a progress bar on stderr. A file is written under a temporary name and renamed when
 * complete, so a failed export never leaves half a file where a whole one is expected.
 * @returns how many rows were written.
 */
export async function runExport(ctx: DbCommandContext, options: ExportOptions): Promise<number> {
  const format = exportFormat(options.format, options.out);
  const now = new Date(ctx.clock.now());
  let source: Source;
  if (options.kind === "customers") source = customerSource(ctx.db, () => Prisma.sql`TRUE`, now);
  else if (options.kind === "orders") source = orderSource(ctx.db);
  else if (options.kind === "deliveries") source = deliverySource(ctx.db, options.campaign);
  else {
    if (!options.segment) throw new CliError("name the segment: rapport export segment <name>");
    const segment = await segmentWhere(ctx, options.segment);
    source = customerSource(ctx.db, (at) => segment.sql(at), now);
  }

  const total = await source.count();
  const progress = createProgress({ stream: ctx.out.stderr });
  const label = options.kind === "segment" ? `segment ${options.segment}` : options.kind;
  progress.start(`exporting ${label}`, total);
  let done = 0;
  const rows = rowsOf(source, options.pageSize ?? 2_000, (n) => {
    done += n;
    progress.update(done);
  });

  const lines = exportLines(source, format, rows);

  const toFile = options.out !== undefined && options.out !== "-";
  const gzip = options.out?.endsWith(".gz") === true;
  const write = (to: Writable) => (gzip ? pipeline(lines, createGzip(), to) : pipeline(lines, to));
  if (toFile) {
    const partial = `${options.out}.partial`;
    try {
      await write(createWriteStream(partial));
      await rename(partial, options.out!);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  } else {
    await write(toStdout(ctx));
  }
  progress.finish(
    `${formatCount(done)} ${options.kind === "segment" ? "customers" : options.kind} exported${toFile ? ` to ${options.out}` : ""}`,
  );
  await recordAudit(ctx.db, {
    actorType: "system",
    action: `export.${options.kind}`,
    data: {
      actor: ctx.actor ?? "cli",
      rows: done,
      format,
      ...(options.segment !== undefined && { segment: options.segment }),
      ...(options.campaign !== undefined && { campaign: options.campaign }),
      to: toFile ? options.out! : "stdout",
    },
    at: now,
  });
  return done;
}

/** stdout as a writable stream, waiting when it is full (a slow pipe), through the command's output. */
function toStdout(ctx: DbCommandContext): Writable {
  const stdout = ctx.out.stdout;
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      const ok = stdout.write(typeof chunk === "string" ? chunk : chunk.toString("utf8"));
      const target = stdout as unknown as NodeJS.WritableStream;
      if (ok === false && typeof target.once === "function") target.once("drain", () => callback());
      else callback();
    },
  });
}

/**
 * `rapport export customer <id or email>`: everything stored about one person (GDPR access request), the same
 * JSON document as the console's export, to a file or stdout.
 */
export async function runCustomerExport(ctx: DbCommandContext, who: string, out: string | undefined) {
  const byEmail = who.includes("@");
  const customer = byEmail
    ? await ctx.db.customer.findUnique({ where: { email: who.trim().toLowerCase() } })
    : undefined;
  const id = byEmail ? customer?.id : who;
  const document = id ? await collectCustomerExport(ctx.db, id, new Date(ctx.clock.now())) : undefined;
  if (!document) throw new CliError(`no customer ${who} (give an id or an email address)`);
  await recordAudit(ctx.db, {
    actorType: "system",
    action: "customer.export",
    targetType: "Customer",
    targetId: document.customer.id,
    data: { actor: ctx.actor ?? "cli", counts: countRows(document) },
    at: new Date(ctx.clock.now()),
  });
  const text = `${JSON.stringify(document, (_key, value) => (typeof value === "bigint" ? Number(value) : value), 2)}\n`;
  if (out !== undefined && out !== "-") {
    await writeFile(out, text);
    ctx.out.stderr.write(`customer ${document.customer.id} exported to ${out}\n`);
  } else {
    ctx.out.stdout.write(text);
  }
}
