import path from "node:path";
import type { App } from "./app.ts";

// What `rapport start` prints besides the logs: its steps as they begin, then the banner. English only, as
// the rest of the CLI.

/** Prints `rapport start`'s steps as they begin, then how long the start took. */
export interface StartProgress {
  /** A step begins: "applying 21 migrations" prints as "  applying 21 migrations…". */
  step(text: string): void;
  /** Everything runs: "Ready in 31.2 s." counted from the process's own start (module loading included). */
  ready(): void;
}

export function startProgress(write: (text: string) => void, uptimeMs = () => process.uptime() * 1_000) {
  write("Starting Rapport…\n");
  return {
    step: (text: string) => write(`  ${text}…\n`),
    ready: () => write(`Ready in ${(uptimeMs() / 1_000).toFixed(1)} s.\n`),
  } satisfies StartProgress;
}

/**
 * The banner: every address under PUBLIC_URL (one host name throughout; the socket's own address only when
 * PUBLIC_URL points elsewhere, a proxy), which channels send for real and which only write to the outbox.
 */
export function startBanner(app: App): string {
  const { config } = app;
  const base = config.PUBLIC_URL;
  const outbox = path.join(config.dataDir, "outbox");
  const live = app.channels.map((c) => c.name).filter((name) => !app.outboxOnly.includes(name));
  const listening =
    app.url && new URL(base).origin !== `http://localhost:${config.PORT}`
      ? `  listening  : ${app.url} (behind ${base})\n`
      : "";
  return (
    `\nRapport is running at ${base}\n` +
    listening +
    `  console    : ${base}/console\n` +
    `  web chat   : ${base}/webchat/demo\n` +
    `  events API : POST ${base}/api/events (signed, see README)\n` +
    `  live       : ${live.length ? live.join(", ") : "none"}\n` +
    (app.outboxOnly.length
      ? `  outbox only: ${app.outboxOnly.join(", ")} (no credentials: written to ${outbox}/<channel>/, not sent)\n`
      : "") +
    `  data       : ${config.dataDir}\n` +
    `  queues     : ${app.queues.prefix} in ${redactRedisUrl(config.REDIS_URL)} (installation ${app.installation})\n` +
    (app.firstStart ? `\n${app.firstStart}\n` : "") +
    "\nPress Ctrl+C to stop.\n\n"
  );
}

/** A Redis URL without its password, for the banner. */
function redactRedisUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString().replace(/\/$/, "");
}
