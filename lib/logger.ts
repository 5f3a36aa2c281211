import pino, { type Logger } from "pino";

export type { Logger };

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** pino level. Defaults to "info" ("silent" in tests unless LOG_LEVEL says otherwise). */
  level?: string;
  /** Keys whose values are replaced by "[redacted]" wherever they appear in a log line. */
  redact?: string[];
}

/**
 * The root logger. Components take a child with their bindings:
 * `log.child({ component: "deliver", channel: "email" })`.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino({
    level: options.level ?? "info",
    redact: { paths: (options.redact ?? []).flatMap((k) => [k, `*.${k}`]), censor: "[redacted]" },
  });
}

/** A logger that discards everything: for tests and library use. */
export const silentLogger: Logger = pino({ level: "silent" });
