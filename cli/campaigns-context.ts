import type { Clock } from "../lib/clock.ts";
import type { Config } from "../lib/config.ts";
import type { Db } from "../lib/db/index.ts";
import type { Logger } from "../lib/logger.ts";
import type { Output } from "./output.ts";

/** What every `rapport campaigns` command gets: configuration, a logger, its outputs and a clock. */
export interface CommandContext {
  config: Config;
  log: Logger;
  out: Output;
  clock: Clock;
}

/** A command that reads or writes the database. */
export interface DbCommandContext extends CommandContext {
  db: Db;
  /** Who is at the keyboard, for audit rows ("cli:ana"). */
  actor?: string;
}

/** A problem with what the operator asked or with the setup: shown as one line on stderr, exit code 1. */
export class CliError extends Error {
  override name = "CliError";
}
