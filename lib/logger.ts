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
   * "json" (one object a line, for log collectors) or "pretty" (one line each for a person: time, level,
   * message, then the fields; coloured on a terminal). Defaults to pretty, piped or not, so `npm start | tee`
   * stays readable: JSON only when asked for (LOG_FORMAT=json).
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
  if (options.format === "json") return pino(settings);
  return pino(
    settings,
    pretty({
      colorize: Boolean(process.stdout.isTTY),
      translateTime: "SYS:HH:MM:ss",
      ignore: "pid,hostname",
      singleLine: true,
      // in order with what the CLI writes to stdout itself (`rapport start`'s steps and banner)
      sync: true,
    }),
  );
}

/** A logger that discards everything: for tests and library use. */
export const silentLogger: Logger = pino({ level: "silent" });
