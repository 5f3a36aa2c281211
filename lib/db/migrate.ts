import { PGlite, type PGliteInterface } from "@electric-sql/pglite";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import type { SchemaFilter } from "@prisma/schema-engine-wasm/schema_engine_bg";
import type { Logger } from "../logger.ts";
import { pgliteMigrationFactory, postgresMigrationFactory, scratchPgliteFactory } from "./adapters.ts";
import type { Db } from "./client.ts";
import {
  type MigrationPaths,
  migrationNames,
  readMigrationList,
  readSchemaFiles,
  resolvePaths,
  writeMigration,
} from "./migration-files.ts";
import { acquireDirLock } from "./pglite-lock.ts";
import { parseDatabaseUrl } from "./url.ts";
import { type SchemaEngine, withSchemaEngine } from "./wasm-engine.ts";

/*
 * Prisma's migrate commands (deploy, status, diff, dev, reset) on the wasm schema engine, for PostgreSQL
 * and PGlite alike. The engine creates `_prisma_migrations` with the native DDL and checksums, so a
 * database migrated here is one the native CLI would accept, and vice versa.
 */

/**
 * The database to migrate: a URL (`postgresql://…`, `pglite:<dir>`, `pglite:memory`), or an open handle from
 * `createDb` — required for a PGlite directory the process already has open, since a second PGlite on the
 * same directory would corrupt it (the URL form takes the directory's lock and fails while it is held).
 */
export type MigrationTarget = string | { url: string; pglite?: PGliteInterface };

/** Options shared by the migration functions. */
export interface MigrateOptions extends MigrationPaths {
  /** Receives the applied migrations (debug: callers report them) and the engine's own trace. Defaults to silence. */
  log?: Logger;
}

/** Where a database's migration history stands relative to the migrations folder. */
export interface MigrationStatus {
  /** True when every migration is applied, none failed or was edited, and the database knows no others. */
  upToDate: boolean;
  /** False on a database never migrated. */
  hasMigrationsTable: boolean;
  /** In the folder, not yet applied: `migrate` applies them. */
  pending: string[];
  /** Applied to the database but absent from the folder (a branch switch, a deleted directory). */
  unknown: string[];
  /** Recorded as failed: fix the SQL, roll the database back by hand, then mark it rolled back. */
  failed: string[];
  /** Applied, but their migration.sql changed since: only a reset reconciles them. */
  edited: string[];
}

/** What {@link createMigration} did. */
export interface CreateMigrationResult {
  /** The new migration's directory name (`YYYYMMDDHHMMSS_name`), or null when the schema needed none. */
  created: string | null;
  /** Every migration applied to the database on the way, pending ones first. Empty with `createOnly`. */
  applied: string[];
}

const FILTERS: SchemaFilter = { externalTables: [], externalEnums: [] };
const EMPTY_MIGRATION = "-- This is an empty migration.";

/** Runs `fn` with an adapter factory for `target`, opening (and locking) a PGlite directory when named by URL. */
async function withTarget<T>(
  target: MigrationTarget,
  log: Logger | undefined,
  fn: (factory: SqlMigrationAwareDriverAdapterFactory) => Promise<T>,
): Promise<T> {
  if (typeof target !== "string" && target.pglite) {
    const db = target.pglite;
    return fn(pgliteMigrationFactory(async () => db));
  }
  const location = parseDatabaseUrl(typeof target === "string" ? target : target.url);
  if (location.kind === "postgres") return fn(postgresMigrationFactory(location.url, log));
  const { dir } = location;
  const lock = dir ? acquireDirLock(dir) : undefined;
  let opened: PGliteInterface | undefined;
  try {
    const open = async () => {
      opened = await PGlite.create(dir ?? undefined);
      return opened;
    };
    return await fn(pgliteMigrationFactory(open));
  } finally {
    await opened?.close();
    lock?.release();
  }
}

function engineCall<T>(
  target: MigrationTarget,
  options: MigrateOptions,
  fn: (engine: SchemaEngine, paths: Required<MigrationPaths>) => Promise<T>,
): Promise<T> {
  const paths = resolvePaths(options);
  return withTarget(target, options.log, (factory) =>
    withSchemaEngine(factory, paths.schemaPath, options.log, (engine) => fn(engine, paths)),
  );
}

async function apply(engine: SchemaEngine, migrationsDir: string, log?: Logger): Promise<string[]> {
  const { appliedMigrationNames } = await engine.applyMigrations({
    migrationsList: readMigrationList(migrationsDir),
    filters: FILTERS,
  });
  for (const name of appliedMigrationNames) log?.debug({ migration: name }, "applied migration");
  return appliedMigrationNames;
}

/**
 * Applies the pending migrations, oldest first (`prisma migrate deploy`). Each migration runs as one script
 * in one implicit transaction: a failing one leaves nothing behind and is recorded as failed.
 * @returns the names of the migrations applied; empty when the database was up to date.
 */
export function migrate(target: MigrationTarget, options: MigrateOptions = {}): Promise<string[]> {
  return engineCall(target, options, (engine, paths) => apply(engine, paths.migrationsDir, options.log));
}

/**
 * The migrations {@link migrate} would apply, read from `_prisma_migrations` through an open client, without
 * the schema engine: quick enough to say "applying 21 migrations…" before a first start's slow migration.
 * A failed or rolled-back migration counts as pending; {@link migrationStatus} tells the whole story.
 */
export async function pendingMigrations(db: Db, paths: MigrationPaths = {}): Promise<string[]> {
  const names = migrationNames(resolvePaths(paths).migrationsDir);
  const [table] = await db.$queryRaw<Array<{ found: boolean }>>`
    SELECT to_regclass('_prisma_migrations') IS NOT NULL AS found`;
  if (!table?.found) return names;
  const rows = await db.$queryRaw<Array<{ name: string }>>`
    SELECT migration_name AS name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`;
  const applied = new Set(rows.map((row) => row.name));
  return names.filter((name) => !applied.has(name));
}

/** Compares the database's migration history with the migrations folder (`prisma migrate status`). */
export function migrationStatus(
  target: MigrationTarget,
  options: MigrateOptions = {},
): Promise<MigrationStatus> {
  return engineCall(target, options, async (engine, paths) => {
    const out = await engine.diagnoseMigrationHistory({
      migrationsList: readMigrationList(paths.migrationsDir),
      optInToShadowDatabase: false,
      filters: FILTERS,
    });
    const h = out.history;
    const pending = h && h.diagnostic !== "migrationsDirectoryIsBehind" ? h.unappliedMigrationNames : [];
    const unknown = h && h.diagnostic !== "databaseIsBehind" ? h.unpersistedMigrationNames : [];
    return {
      upToDate: !h && out.failedMigrationNames.length === 0 && out.editedMigrationNames.length === 0,
      hasMigrationsTable: out.hasMigrationsTable,
      pending,
      unknown,
      failed: out.failedMigrationNames,
      edited: out.editedMigrationNames,
    };
  });
}

/** Options of the diff functions. */
export interface DiffOptions extends MigrateOptions {
  /**
   * A PostgreSQL server on which to build the migrations' schema (in a temporary database, dropped after).
   * Defaults to an in-memory PGlite: no database needed, but 3–5 s to start.
   */
  url?: string;
}

// The engine prints a comment for "no difference"; callers test emptiness.
function normaliseScript(stdout: string | null): string {
  const text = stdout ?? "";
  return text.trim() === "" || text.trim() === EMPTY_MIGRATION ? "" : text;
}

/** Runs a diff on `options.url`, or on a scratch in-memory PGlite. */
async function diffCall(
  options: DiffOptions,
  fn: (engine: SchemaEngine, paths: Required<MigrationPaths>) => Promise<string>,
): Promise<string> {
  if (options.url) return engineCall(options.url, options, fn);
  const paths = resolvePaths(options);
  const scratch = scratchPgliteFactory();
  try {
    return await withSchemaEngine(scratch.factory, paths.schemaPath, options.log, (engine) =>
      fn(engine, paths),
    );
  } finally {
    await scratch.close();
  }
}

/**
 * The SQL that would bring the migrations folder up to the schema (`prisma migrate diff --from-migrations
 * --to-schema --script`). An empty string means the migrations match schema.prisma; anything else is drift.
 */
export function diffMigrationsToSchema(options: DiffOptions = {}): Promise<string> {
  return diffCall(options, async (engine, paths) => {
    const out = await engine.diff({
      from: { tag: "migrations", ...readMigrationList(paths.migrationsDir) },
      to: { tag: "schemaDatamodel", files: readSchemaFiles(paths.schemaPath) },
      script: true,
      exitCode: null,
      filters: FILTERS,
    });
    return normaliseScript(out.stdout);
  });
}

/** The SQL creating the whole schema from nothing (`prisma migrate diff --from-empty --to-schema --script`). */
export function diffEmptyToSchema(options: DiffOptions = {}): Promise<string> {
  return diffCall(options, async (engine, paths) => {
    const out = await engine.diff({
      from: { tag: "empty" },
      to: { tag: "schemaDatamodel", files: readSchemaFiles(paths.schemaPath) },
      script: true,
      exitCode: null,
      filters: FILTERS,
    });
    return normaliseScript(out.stdout);
  });
}

/** Options of {@link createMigration}. */
export interface CreateMigrationOptions extends MigrateOptions {
  /** Write the migration without applying it, even when empty (`--create-only`). Defaults to false. */
  createOnly?: boolean;
}

/**
 * `prisma migrate dev --name <name>`: applies pending migrations, writes a new migration for the difference
 * between the applied history and schema.prisma into the migrations folder, then applies it (unless
 * `createOnly`). Throws when the database's history needs a reset (edited or foreign migrations).
 */
export function createMigration(
  target: MigrationTarget,
  name: string,
  options: CreateMigrationOptions = {},
): Promise<CreateMigrationResult> {
  const { log, createOnly = false } = options;
  return engineCall(target, options, async (engine, { migrationsDir, schemaPath }) => {
    // devDiagnostic builds the applied history's schema in the shadow database and caches it in the engine;
    // createMigration cannot build it itself ("shadow DB must be provided through an external factory").
    const diagnose = () =>
      engine.devDiagnostic({ migrationsList: readMigrationList(migrationsDir), filters: FILTERS });
    const diagnostic = await diagnose();
    if (diagnostic.action.tag === "reset") {
      throw new Error(`migrate dev needs a reset of the database: ${diagnostic.action.reason}`);
    }
    const pending = await apply(engine, migrationsDir, log);
    if (pending.length > 0) await diagnose(); // the history changed: refill the engine's cache
    const out = await engine.createMigration({
      draft: createOnly,
      migrationName: name,
      migrationsList: readMigrationList(migrationsDir),
      schema: { files: readSchemaFiles(schemaPath) },
      filters: FILTERS,
    });
    const created = out.migrationScript === null ? null : out.generatedMigrationName;
    if (created && out.migrationScript !== null) {
      writeMigration(migrationsDir, created, out.migrationScript);
      log?.info({ migration: created }, "created migration");
    }
    const applied = createOnly ? [] : await apply(engine, migrationsDir, log);
    return { created, applied: [...pending, ...applied] };
  });
}

/**
 * Drops everything in the database's schema, then applies every migration (`prisma migrate reset`, without
 * seeding). Destroys all data.
 * @returns the names of the migrations applied.
 */
export function resetDatabase(target: MigrationTarget, options: MigrateOptions = {}): Promise<string[]> {
  return engineCall(target, options, async (engine, paths) => {
    await engine.reset({ filter: FILTERS });
    options.log?.warn("database reset: all data dropped");
    return apply(engine, paths.migrationsDir, options.log);
  });
}
