import type { Db } from "../../lib/db/index.ts";

/**
 * Where a stream stopped reading, kept in `ChannelCursor` under "x:<stream>:<brand id>": the newest id
 * handed to the conversation core. An empty string means "started, and there was nothing yet".
 */
export async function readCursor(db: Db, key: string): Promise<string | undefined> {
  const row = await db.channelCursor.findUnique({ where: { key }, select: { value: true } });
  return row?.value;
}

/** Stores a stream's position. Call only after everything up to `value` was handed on. */
export async function writeCursor(db: Db, key: string, value: string): Promise<void> {
  await db.channelCursor.upsert({ where: { key }, create: { key, value }, update: { value } });
}

/** The cursor key of a stream for a brand account. */
export function cursorKey(stream: string, brandId: string): string {
  return `x:${stream}:${brandId}`;
}

/**
 * Compares two X ids. They are 64-bit snowflakes, past `Number`'s precision, so they are compared as digit
 * strings: the longer is larger, then lexicographically.
 */
export function compareIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length > b.length ? 1 : -1;
  return a === b ? 0 : a > b ? 1 : -1;
}
