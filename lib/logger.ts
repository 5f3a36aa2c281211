import pino, { type Logger } from "pino";
import pretty from "pino-pretty";

export type { Logger };

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** pino level. Defaults to "info". */
  level?: string;
  /** Keys whose values are replaced by "[redacted]" wherever they appear in a log line. */
  redact?: string[];
  /**
   * "json" (one object a line, for log collectors) or "pretty" (coloured lines for a person at a terminal).
   * Defaults to pretty when stdout is a terminal, else json.
   */
  format?: "json" | "pretty";
}

/**
 * The root logger. Components take a child with their bindings:
 * `log.child({ component: "deliver", channel: "email" })`.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    level: options.level ?? "info",
    redact: { paths: (options.redact ?? []).flatMap((k) => [k, `*.${k}`]), censor: "[redacted]" },
  };
  const format = options.format ?? (process.stdout.isTTY ? "pretty" : "json");
  if (format === "json") return pino(settings);
  return pino(
    settings,
    pretty({ colorize: process.stdout.isTTY, translateTime: "SYS:HH:MM:ss", ignore: "pid,hostname" }),
  );
}

/** A logger that discards everything: for tests and library use. */
export const silentLogger: Logger = pino({ level: "silent" });
