import path from "node:path";
import { PGlite, type PGliteInterface } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import type { Logger } from "../logger.ts";
import { installCharOidFix } from "./adapters.ts";
import { PrismaClient } from "./generated/client.ts";
import { migrate } from "./migrate.ts";
import type { MigrationPaths } from "./migration-files.ts";
import { acquireDirLock } from "./pglite-lock.ts";
import { PGLITE_MEMORY_URL, parseDatabaseUrl, redactUrl } from "./url.ts";

/** Rapport's database client: a Prisma client over PostgreSQL or PGlite. */
export type Db = PrismaClient;

/** Which engine a {@link DbHandle} talks to. */
export type DbKind = "postgres" | "pglite";

/** An open database. */
export interface DbHandle {
  /** The Prisma client. */
  db: Db;
  kind: DbKind;
  /** `postgresql://…`, `pglite:<absolute dir>` or `pglite:memory`. */
  url: string;
  /**
   * The PGlite instance behind `db`, when `kind` is "pglite". Pass the handle (not its URL) to `migrate` and
   * co.: they then use this instance instead of opening the directory a second time.
   */
  pglite?: PGliteInterface;
  /** Connections it may use at once: the PostgreSQL pool's size; 1 for PGlite (one connection). */
  poolSize: number;
  /** Disconnects, closes PGlite and releases its directory lock. Safe to call twice. */
  close(): Promise<void>;
}

/** Options of {@link createDb}. */
export interface CreateDbOptions {
  /**
   * `postgresql://…` for PostgreSQL (DATABASE_URL), or `pglite:<dir>` / `pglite:memory`. Unset: the
   * embedded PGlite in `<dataDir>/pglite`.
   */
  url?: string;
  /** Rapport's data directory (`.data`). Holds `pglite/` and `pglite.lock` when `url` is unset. */
  dataDir: string;
  /** Gets start-up and pool errors. Defaults to silence. */
  log?: Logger;
  /** PostgreSQL connections in the pool (DATABASE_POOL_SIZE). Defaults to 10, node-postgres's own. */
  poolSize?: number;
}

/**
 * How long a transaction waits for a connection before Prisma gives up, in ms (Prisma's default is 2 000).
 * Workers may run more jobs than the pool has connections: a job waiting its turn is slow, not failed.
 */
export const TRANSACTION_MAX_WAIT_MS = 60_000;

const transactionOptions = { maxWait: TRANSACTION_MAX_WAIT_MS, timeout: 5_000 };

/**
 * Opens the database: PostgreSQL through `@prisma/adapter-pg` when `url` is a PostgreSQL URL, otherwise an
 * embedded PGlite. A PGlite directory is locked for this process (`<dir>.lock` holding the pid) until
 * `close()`: a second process gets a {@link DataDirInUseError}, a lock left by a dead process is taken over.
 * Does not migrate: call `migrate(handle)` for that.
 */
export async function createDb(options: CreateDbOptions): Promise<DbHandle> {
  const location = parseDatabaseUrl(options.url ?? `pglite:${path.join(options.dataDir, "pglite")}`);
  const log = options.log;
  const poolSize = options.poolSize ?? 10;
  if (location.kind === "postgres") {
    installCharOidFix(); // so `$queryRaw` over catalog columns of type "char" does not throw
    const adapter = new PrismaPg(
      // JIT compiles the fan-out's wide INSERT … SELECT for ~2 s per 2 000-row chunk and saves milliseconds
      // (bench/README.md): Rapport's statements are never the long analytics JIT pays off for.
      { connectionString: location.url, options: "-c jit=off", max: poolSize },
      // An idle connection's error (server restart) would otherwise be an unhandled 'error' event: a crash.
      { onPoolError: (err) => log?.error({ err }, "PostgreSQL pool error") },
    );
    const db = new PrismaClient({ adapter, transactionOptions });
    log?.debug({ url: redactUrl(location.url), poolSize }, "database: PostgreSQL");
    return { db, kind: "postgres", url: location.url, poolSize, close: once(() => db.$disconnect()) };
  }
  const { dir } = location;
  const lock = dir ? acquireDirLock(dir) : undefined;
  try {
    const started = Date.now();
    const pglite = await PGlite.create(dir ?? undefined);
    log?.debug({ dir: dir ?? "memory", ms: Date.now() - started }, "database: PGlite");
    return wrapPglite(pglite, dir ? `pglite:${dir}` : PGLITE_MEMORY_URL, () => lock?.release());
  } catch (error) {
    lock?.release();
    throw error;
  }
}

function wrapPglite(pglite: PGliteInterface, url: string, afterClose: () => void = () => {}): DbHandle {
  // The adapter is typed for the PGlite class; a clone() is the same object behind the interface type.
  const db = new PrismaClient({ adapter: new PrismaPGlite(pglite as PGlite), transactionOptions });
  const close = once(async () => {
    try {
      await db.$disconnect();
      await pglite.close(); // the adapter's dispose() leaves PGlite open
    } finally {
      afterClose();
    }
  });
  return { db, kind: "pglite", url, pglite, poolSize: 1, close };
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= fn();
    return done;
  };
}

/** A migrated in-memory PGlite to clone: see {@link createPgliteTemplate}. */
export interface PgliteTemplate {
  /** A new in-memory database with the template's schema and rows (~1 s). */
  clone(): Promise<DbHandle>;
  /** Closes the template itself; clones stay open until their own `close()`. */
  close(): Promise<void>;
}

/**
 * Builds a migrated in-memory PGlite once (3–5 s on 2 cores), to clone per test (~1 s each) rather than
 * paying for a fresh PGlite and its migrations every time.
 */
export async function createPgliteTemplate(
  options: MigrationPaths & { log?: Logger } = {},
): Promise<PgliteTemplate> {
  const template = await PGlite.create();
  await migrate({ url: PGLITE_MEMORY_URL, pglite: template }, options);
  return {
    clone: async () => wrapPglite(await template.clone(), PGLITE_MEMORY_URL),
    close: () => template.close(),
  };
}
