/**
 * Rapport's database room: opening PostgreSQL or PGlite (`createDb`), the offline migration engine
 * (`migrate` & co.), and the generated Prisma types other folders use. Import from here, not from the files.
 */
export { installCharOidFix } from "./adapters.ts";
export {
  type CreateDbOptions,
  createDb,
  createPgliteTemplate,
  type Db,
  type DbHandle,
  type DbKind,
  type PgliteTemplate,
} from "./client.ts";
export { isUniqueViolation } from "./errors.ts";
export * from "./generated/client.ts";
export {
  type CreateMigrationOptions,
  type CreateMigrationResult,
  createMigration,
  type DiffOptions,
  diffEmptyToSchema,
  diffMigrationsToSchema,
  type MigrateOptions,
  type MigrationStatus,
  type MigrationTarget,
  migrate,
  migrationStatus,
  pendingMigrations,
  resetDatabase,
} from "./migrate.ts";
export {
  DEFAULT_MIGRATIONS_DIR,
  DEFAULT_SCHEMA_PATH,
  type MigrationPaths,
  migrationNames,
  migrationsChecksum,
} from "./migration-files.ts";
export { acquireDirLock, DataDirInUseError, type DirLock, lockFileFor } from "./pglite-lock.ts";
export {
  type DatabaseLocation,
  PGLITE_MEMORY_URL,
  parseDatabaseUrl,
  redactUrl,
  withDatabase,
} from "./url.ts";
