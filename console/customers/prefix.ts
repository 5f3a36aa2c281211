import { type Db, Prisma } from "../../lib/db/index.ts";

/**
 * Prefix matching that a plain b-tree index can serve. `col LIKE 'ann%'` uses a default b-tree index only under
 * the "C" collation, but `col >= 'ann' AND col < 'ano'` uses it under any collation — and means the same
 * thing when the database orders strings by code point (C, POSIX, C.UTF-8, the builtin provider): what the
 * project's PostgreSQL and PGlite databases use. Elsewhere (an ICU or en_US database) the range is not exact,
 * so {@link prefixMatch} falls back to `ILIKE` there: always right, only slower.
 */

const byteOrdered = new WeakMap<Db, Promise<boolean>>();

/** Whether the database compares text by code point, so prefix ranges are exact. Asked once per client. */
export function ordersByCodePoint(db: Db): Promise<boolean> {
  let known = byteOrdered.get(db);
  if (!known) {
    known = db
      .$queryRaw<Array<{ provider: string; collation: string }>>(Prisma.sql`
        SELECT datlocprovider::text AS provider, datcollate AS collation
        FROM pg_database WHERE datname = current_database()`)
      .then(([row]) => {
        if (!row) return false;
        if (row.provider === "b") return true;
        return row.provider === "c" && /^(C|POSIX|C\.utf-?8)$/i.test(row.collation);
      })
      .catch(() => false);
    byteOrdered.set(db, known);
  }
  return known;
}

/** The smallest string greater than every string starting with `prefix`; undefined when there is none. */
export function prefixEnd(prefix: string): string | undefined {
  const chars = [...prefix];
  while (chars.length > 0) {
    const last = chars.pop()!.codePointAt(0)!;
    let next = last + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000; // surrogates are not characters
    if (next <= 0x10ffff) return chars.join("") + String.fromCodePoint(next);
  }
  return undefined;
}

/** `prefix` with LIKE's wildcards escaped, followed by `%`. */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * A condition: `column` starts with one of `prefixes`. With `exact` (a code-point ordered database) each
 * prefix is an index range, checked with LIKE; otherwise `column ILIKE prefix%` (no index, never wrong).
 */
export function prefixMatch(column: Prisma.Sql, prefixes: readonly string[], exact: boolean): Prisma.Sql {
  const unique = [...new Set(prefixes.filter((p) => p.length > 0))];
  if (unique.length === 0) return Prisma.sql`FALSE`;
  const ranges = unique.map((prefix) => {
    if (!exact) return Prisma.sql`${column} ILIKE ${likePrefix(prefix)}`;
    const end = prefixEnd(prefix);
    const upper = end === undefined ? Prisma.empty : Prisma.sql` AND ${column} < ${end}`;
    return Prisma.sql`(${column} >= ${prefix}${upper} AND ${column} LIKE ${likePrefix(prefix)})`;
  });
  return Prisma.sql`(${Prisma.join(ranges, " OR ")})`;
}
