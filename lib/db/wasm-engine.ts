import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from "@prisma/driver-adapter-utils";
import * as bg from "@prisma/schema-engine-wasm/schema_engine_bg";
import type { Logger } from "../logger.ts";
import { readSchemaFiles } from "./migration-files.ts";

/** The wasm schema engine: Prisma's migration engine, without the native binary this network can't download. */
export type SchemaEngine = bg.SchemaEngine;

let loaded = false;
let lastPanic: string | undefined;

interface PanicRegistry {
  set_message(message: string): void;
}
const panicHost = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: PanicRegistry };

/**
 * Instantiates the engine's wasm once per process. The package's main entry imports the .wasm file as an ES
 * module, which Node 20 only allows with --experimental-wasm-modules, so load it by hand as Prisma's own
 * loader does.
 */
function loadWasm(): void {
  if (loaded) return;
  const bgFile = createRequire(import.meta.url).resolve("@prisma/schema-engine-wasm/schema_engine_bg");
  const bytes = readFileSync(path.join(path.dirname(bgFile), "schema_engine_bg.wasm"));
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    "./schema_engine_bg.js": bg as unknown as WebAssembly.ModuleImports,
  });
  // A Rust panic reports its message here before trapping; without a registry the report itself throws a
  // TypeError and the message is lost. Keep one installed by Prisma's own runtime, if any.
  panicHost.PRISMA_WASM_PANIC_REGISTRY ??= {
    set_message(message) {
      lastPanic = message;
    },
  };
  bg.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  loaded = true;
}

/**
 * Opens an engine over `factory` with the schema at `schemaPath`, runs `fn`, and frees the engine. Errors
 * raised by the adapters come back as the original JS error (the engine only sees "External error id#N").
 */
export async function withSchemaEngine<T>(
  factory: SqlMigrationAwareDriverAdapterFactory,
  schemaPath: string,
  log: Logger | undefined,
  fn: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  loadWasm();
  const tracked = trackConnections(factory);
  const bound = bindMigrationAwareSqlAdapterFactory(tracked.factory);
  const jsError = (error: unknown): unknown => {
    if (error instanceof WebAssembly.RuntimeError && lastPanic) {
      const message = lastPanic;
      lastPanic = undefined;
      return new Error(`The Prisma schema engine crashed: ${message}`, { cause: error });
    }
    const id = /External error id#(\d+)/.exec((error as Error | undefined)?.message ?? "")?.[1];
    return (id && bound.errorRegistry.consumeError(Number(id))?.error) || error;
  };
  const datamodels = readSchemaFiles(schemaPath).map((f) => [f.path, f.content] as [string, string]);
  const onLog = (message: string) => log?.trace({ engine: message }, "schema engine");
  let engine: SchemaEngine;
  try {
    engine = await bg.SchemaEngine.new({ datamodels }, onLog, bound);
  } catch (error) {
    await tracked.disposeAll();
    throw jsError(error);
  }
  try {
    // `return await`: freeing the engine while a call is pending crashes it ("memory access out of bounds").
    return await fn(engine);
  } catch (error) {
    throw jsError(error);
  } finally {
    try {
      engine.free();
    } catch {
      // After a panic the engine stays "borrowed" and free() throws: keep the original error, not this one.
    }
    await tracked.disposeAll();
  }
}

/**
 * Wraps a factory so every adapter it hands out can be disposed once the engine is freed: `free()` does not
 * dispose the main connection, and a lingering pool keeps the process alive and the database busy (a
 * template database with a connection cannot be copied).
 */
function trackConnections(factory: SqlMigrationAwareDriverAdapterFactory) {
  const open = new Set<SqlDriverAdapter>();
  const track = async (connect: () => Promise<SqlDriverAdapter>) => {
    const adapter = await connect();
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      // Dispose at most once: pg's pool.end() throws on a second call.
      if (!open.delete(adapter)) return;
      await dispose();
    };
    open.add(adapter);
    return adapter;
  };
  return {
    factory: {
      provider: factory.provider,
      adapterName: factory.adapterName,
      connect: () => track(() => factory.connect()),
      connectToShadowDb: () => track(() => factory.connectToShadowDb()),
    } satisfies SqlMigrationAwareDriverAdapterFactory,
    disposeAll: async () => {
      await Promise.all([...open].map((adapter) => adapter.dispose()));
    },
  };
}
