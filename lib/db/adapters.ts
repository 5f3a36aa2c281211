import { randomUUID } from "node:crypto";
import { PGlite, type PGliteInterface } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import type { Logger } from "../logger.ts";
import { redactUrl, withDatabase } from "./url.ts";

/*
 * Driver adapters for the wasm schema engine (migrations). The stock adapters have three bugs that the
 * engine hits; each workaround below says which. See ../shared/notes/prisma-offline.md.
 */

interface FieldDescription {
  dataTypeID: number;
}
type AddFields = (fields: FieldDescription[]) => void;

const CHAR_OID = 18;
const TEXT_OID = 25;
let charFixInstalled = false;

/**
 * Makes node-postgres report PostgreSQL's internal `"char"` type (oid 18) as text. adapter-pg 7.10.0 throws
 * `Column type 'char' could not be deserialized` on it, which breaks the engine's catalog queries and any
 * `$queryRaw` over catalog columns. Process-wide and idempotent; harmless elsewhere, since pg has no parser
 * for oid 18 and returns it as a string anyway.
 */
export function installCharOidFix(): void {
  if (charFixInstalled) return;
  charFixInstalled = true;
  const proto = pg.Result.prototype as unknown as { addFields: AddFields };
  const addFields = proto.addFields;
  proto.addFields = function (this: unknown, fields: FieldDescription[]) {
    for (const field of fields) if (field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
    return addFields.call(this, fields);
  };
}

/**
 * Replaces an adapter's `executeScript` so a migration runs as ONE awaited script. adapter-pg splits on `;`
 * (breaking `$$ … ; … $$` bodies) and runs statements one by one (a failure leaves it half-applied);
 * pglite-prisma-adapter does not await `exec` (a failed migration is recorded as applied).
 */
function runScriptsWhole<A extends SqlDriverAdapter>(adapter: A, exec: (sql: string) => Promise<unknown>): A {
  // onError is protected: it maps driver errors to the DriverAdapterError the engine understands.
  const { onError } = adapter as unknown as { onError(error: unknown): never };
  adapter.executeScript = async (sql: string) => {
    try {
      await exec(sql);
    } catch (error) {
      onError.call(adapter, error);
    }
  };
  return adapter;
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function pgAdapter(url: string): Promise<SqlDriverAdapter> {
  const adapter = await new PrismaPg({ connectionString: url }).connect();
  return runScriptsWhole(adapter, (sql) => adapter.underlyingDriver().query(sql));
}

async function pgliteAdapter(db: PGliteInterface): Promise<SqlDriverAdapter> {
  // The adapter is typed for the PGlite class; a clone() is the same object behind the interface type.
  const adapter = await new PrismaPGlite(db as PGlite).connect();
  return runScriptsWhole(adapter, (sql) => db.exec(sql));
}

/** A shadow database in a fresh in-memory PGlite (3–5 s to start), closed with the adapter. */
async function pgliteShadow(): Promise<SqlDriverAdapter> {
  const shadow = await PGlite.create();
  const adapter = await pgliteAdapter(shadow);
  adapter.dispose = () => shadow.close();
  return adapter;
}

/**
 * A migration-aware adapter factory for a PostgreSQL server. The shadow database (used by `migrate dev` and
 * diffs from migrations) is a temporary `prisma_shadow_<uuid>` database on the same server, dropped on
 * dispose; without the CREATEDB privilege it falls back to an in-memory PGlite.
 */
export function postgresMigrationFactory(url: string, log?: Logger): SqlMigrationAwareDriverAdapterFactory {
  installCharOidFix();
  return {
    provider: "postgres",
    adapterName: "@prisma/adapter-pg",
    connect: () => pgAdapter(url),
    // PrismaPg's own connectToShadowDb connects to the MAIN database for a URL config (pg's connectionString
    // overrides `database`) and cannot drop its shadow database: create and drop our own.
    async connectToShadowDb() {
      const name = `prisma_shadow_${randomUUID().replaceAll("-", "")}`;
      try {
        await adminQuery(url, `CREATE DATABASE "${name}"`);
      } catch (error) {
        if ((error as { code?: string }).code !== "42501") throw error;
        // insufficient_privilege: the role lacks CREATEDB. PGlite speaks the same SQL, only slower to start.
        log?.warn(
          { url: redactUrl(url) },
          "no CREATEDB privilege: using an in-memory PGlite as shadow database",
        );
        return pgliteShadow();
      }
      const shadow = await pgAdapter(withDatabase(url, name));
      const dispose = shadow.dispose.bind(shadow);
      shadow.dispose = async () => {
        await dispose();
        await adminQuery(url, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      };
      return shadow;
    },
  };
}

/**
 * A migration-aware adapter factory for a PGlite instance. `open` is called on the first connection only, so
 * engine calls that never touch the main database (diffs) do not pay for starting one. The instance stays
 * open: its owner closes it. The shadow database is a fresh in-memory PGlite.
 */
export function pgliteMigrationFactory(
  open: () => Promise<PGliteInterface>,
): SqlMigrationAwareDriverAdapterFactory {
  let instance: Promise<PGliteInterface> | undefined;
  return {
    provider: "postgres",
    adapterName: "pglite-prisma-adapter",
    async connect() {
      instance ??= open();
      return pgliteAdapter(await instance);
    },
    connectToShadowDb: pgliteShadow,
  };
}

/**
 * An adapter factory for engine calls that need no real database (diffs): one in-memory PGlite serves as the
 * main connection, and each shadow database is a clone of it, taken while it is still empty (~1 s instead of
 * the 3–5 s of a fresh PGlite). Call `close` when done.
 */
export function scratchPgliteFactory(): {
  factory: SqlMigrationAwareDriverAdapterFactory;
  close(): Promise<void>;
} {
  const main = PGlite.create();
  return {
    factory: {
      provider: "postgres",
      adapterName: "pglite-prisma-adapter",
      connect: async () => pgliteAdapter(await main),
      async connectToShadowDb() {
        const shadow = await (await main).clone();
        const adapter = await pgliteAdapter(shadow);
        adapter.dispose = () => shadow.close();
        return adapter;
      },
    },
    close: async () => (await main).close(),
  };
}
