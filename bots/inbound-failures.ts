import { createHash } from "node:crypto";
import type { Db } from "../lib/db/index.ts";

/** Longest error text kept, in characters. */
const MAX_ERROR = 4_000;
/** Longest source key kept as given; a longer one is hashed (the unique index has a row size limit). */
const MAX_SOURCE_KEY = 200;

/** An inbound item that could not be stored. */
export interface InboundFailureInput {
  /** A channel ("x", "telegram", "discord", "email") or a source ("shopify", "woocommerce", "resend"). */
  channel: string;
  /**
   * The item's own id on its platform ("dm:<event id>", "update:<update id>", an order id): the same item
   * failing again counts on the same row. Undefined: a hash of the payload.
   */
  sourceKey?: string;
  /** The item: a JSON value, or `{ rawJson }` for a body kept byte for byte (ids past 2^53 stay exact). */
  payload: unknown;
  error: unknown;
}

/** A payload given as JSON text, kept as received rather than re-serialised. */
export interface RawJson {
  rawJson: string;
}

/** Wraps JSON text (a webhook's raw body) so it is stored as received. */
export function rawJson(text: string | Buffer): RawJson {
  return { rawJson: Buffer.isBuffer(text) ? text.toString("utf8") : text };
}

function isRawJson(value: unknown): value is RawJson {
  return typeof value === "object" && value !== null && typeof (value as RawJson).rawJson === "string";
}

/**
 * The payload as JSON text PostgreSQL accepts: `JSON.stringify` writes NUL as `\u0000` and a lone surrogate
 * as `\udXXX`, which text columns take (jsonb would refuse `\u0000`, so the column is text).
 */
export function payloadText(payload: unknown): string {
  if (isRawJson(payload)) return cleanText(payload.rawJson);
  return (
    JSON.stringify(payload, (_key, value) => (typeof value === "bigint" ? String(value) : value)) ?? "null"
  );
}

/** Text PostgreSQL accepts: NUL written as `\u0000`, a lone surrogate as U+FFFD. */
function cleanText(text: string): string {
  return text
    .replaceAll("\u0000", "\\u0000")
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}

/** The error and its causes, one line each, as text PostgreSQL accepts. */
export function errorText(error: unknown): string {
  const lines: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    lines.push(current instanceof Error ? `${current.name}: ${current.message}` : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return cleanText(lines.join("\ncaused by ")).slice(0, MAX_ERROR);
}

function keyOf(input: InboundFailureInput, text: string): string {
  const key = input.sourceKey === undefined ? undefined : cleanText(input.sourceKey);
  if (key !== undefined && key !== "" && key.length <= MAX_SOURCE_KEY) return key;
  return `sha256:${createHash("sha256")
    .update(key || text)
    .digest("hex")}`;
}

/**
 * Keeps an item that could not be stored, so the items after it go on. The same item (channel and source key)
 * failing again increments `count` and moves `lastSeenAt` instead of adding a row; a resolved one reopens, a
 * discarded one stays discarded. Throws only when the database itself refuses: then the caller must not move
 * past the item (answer 5xx, keep the poll's batch).
 */
export async function recordInboundFailure(
  db: Db,
  input: InboundFailureInput,
  now: Date,
): Promise<{ id: string; count: number }> {
  const payload = payloadText(input.payload);
  const sourceKey = keyOf(input, payload);
  const error = errorText(input.error);
  return db.inboundFailure.upsert({
    where: { channel_sourceKey: { channel: input.channel, sourceKey } },
    create: { channel: input.channel, sourceKey, payload, error, firstSeenAt: now, lastSeenAt: now },
    update: { payload, error, lastSeenAt: now, count: { increment: 1 }, resolvedAt: null },
    select: { id: true, count: true },
  });
}

/** Re-processes a kept payload (its JSON text) along the same path that failed; throws if it fails again. */
export type InboundRetry = (payload: string) => Promise<void>;

/** How each channel re-processes its dead letters, filled by the platforms that run in this process. */
export class InboundRetries {
  readonly #handlers = new Map<string, InboundRetry>();

  /** Sets how `channel`'s failures are retried (a later call replaces the handler). */
  register(channel: string, retry: InboundRetry): void {
    this.#handlers.set(channel, retry);
  }

  /** The handler for `channel`, if this process runs it. */
  get(channel: string): InboundRetry | undefined {
    return this.#handlers.get(channel);
  }
}

/** What a retry did. */
export type RetryOutcome =
  | { kind: "resolved" }
  | { kind: "failed"; error: string }
  | { kind: "not_found" }
  /** No platform in this process retries this channel (it is not configured here). */
  | { kind: "no_handler"; channel: string };

/**
 * Retries an open failure through its channel's handler: on success it is marked resolved; on failure its
 * error, `count` and `lastSeenAt` are updated and it stays open.
 */
export async function retryInboundFailure(
  db: Db,
  retries: InboundRetries,
  id: string,
  now: Date,
): Promise<RetryOutcome> {
  const row = await db.inboundFailure.findFirst({
    where: { id, resolvedAt: null, discardedAt: null },
    select: { channel: true, payload: true },
  });
  if (!row) return { kind: "not_found" };
  const retry = retries.get(row.channel);
  if (!retry) return { kind: "no_handler", channel: row.channel };
  try {
    await retry(row.payload);
  } catch (error) {
    const text = errorText(error);
    await db.inboundFailure.update({
      where: { id },
      data: { error: text, lastSeenAt: now, count: { increment: 1 } },
    });
    return { kind: "failed", error: text };
  }
  await db.inboundFailure.update({ where: { id }, data: { resolvedAt: now } });
  return { kind: "resolved" };
}
