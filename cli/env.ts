import { existsSync } from "node:fs";
import path from "node:path";
import { type Config, loadConfig, SECRET_KEYS } from "../lib/config.ts";
import { ConfigError } from "../lib/errors.ts";
import { createLogger, type Logger } from "../lib/logger.ts";

/**
 * Loads `.env` from the working directory (variables already set win), validates the configuration, and
 * makes the root logger. A bad value ends the process with one line naming the variable.
 */
export function loadEnvironment(): { config: Config; log: Logger } {
  const file = path.resolve(".env");
  if (existsSync(file)) {
    const before = { ...process.env };
    process.loadEnvFile(file);
    Object.assign(process.env, before);
  }
  try {
    const config = loadConfig(process.env);
    return {
      config,
      log: createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT, redact: [...SECRET_KEYS] }),
    };
  } catch (error) {
    if (error instanceof ConfigError) exitWith(`rapport: ${error.message}`);
    throw error;
  }
}

/** Prints one line to stderr and exits non-zero. */
export function exitWith(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}
