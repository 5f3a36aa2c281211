import path from "node:path";

/** Where a database lives, parsed from a URL. */
export type DatabaseLocation =
  /** A PostgreSQL server, through `@prisma/adapter-pg`. */
  | { kind: "postgres"; url: string }
  /** An embedded PGlite: `dir` is its absolute data directory, or null for an in-memory database. */
  | { kind: "pglite"; dir: string | null };

/** The URL of an in-memory PGlite. */
export const PGLITE_MEMORY_URL = "pglite:memory";

/**
 * Parses the database URL forms Rapport accepts: `postgresql://…` (or `postgres://…`), `pglite:<dir>`
 * (relative to the working directory) and `pglite:memory`.
 */
export function parseDatabaseUrl(url: string): DatabaseLocation {
  if (url.startsWith("pglite:")) {
    const rest = url.slice("pglite:".length);
    if (rest === "memory" || rest === "memory://") return { kind: "pglite", dir: null };
    if (rest === "") throw new Error(`${url} names no directory: write pglite:<dir> or ${PGLITE_MEMORY_URL}`);
    return { kind: "pglite", dir: path.resolve(rest) };
  }
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: "postgres", url };
  throw new Error(
    `Unsupported database URL "${redactUrl(url)}": use postgresql://user@host:5432/db, pglite:<dir> or ${PGLITE_MEMORY_URL}`,
  );
}

/** The URL without its password, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.href;
  } catch {
    return url.replace(/:[^:@/]*@/, ":***@");
  }
}

/** The same PostgreSQL server URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.href;
}
