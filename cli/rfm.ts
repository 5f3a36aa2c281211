import path from "node:path";
import { fileURLToPath } from "node:url";
import { Command, Option } from "commander";
import type { RfmSummary } from "../campaigns/index.ts";
import { CliError } from "./campaigns-context.ts";
import { exitWith, loadEnvironment } from "./env.ts";
import { formatCount, formatDuration, formatMinute, formatPercent } from "./format.ts";
import { processOutput } from "./output.ts";
import { createProgress } from "./progress.ts";
import { renderTable } from "./table.ts";

const DEFAULT_CAMPAIGNS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "campaigns");

/** The report of one refresh: a summary line and the customers per segment. */
export function formatRfmSummary(summary: RfmSummary, base: string, ms: number): string {
  const total = summary.buyers + summary.lapsed;
  const at = formatMinute(summary.computedAt);
  const rows = Object.entries(summary.segments).map(([segment, count]) => [
    segment,
    formatCount(count),
    formatPercent(total === 0 ? null : count / total),
  ]);
  return (
    `RFM refreshed as of ${at} UTC in ${formatDuration(ms)}: ${formatCount(summary.buyers)} buyers of the last 365 days scored, ` +
    `${formatCount(summary.lapsed)} earlier buyers lost (no scores); money in ${base}.\n\n` +
    renderTable(
      [{ header: "segment" }, { header: "customers", align: "right" }, { header: "share", align: "right" }],
      rows,
      { footer: [["total", formatCount(total), formatPercent(total === 0 ? null : 1)]] },
    )
  );
}

/** `rapport rfm refresh`: rebuilds every customer's RFM scores now, as the nightly job does. */
export function rfmCommand(): Command {
  const rfm = new Command("rfm").description(
    "RFM scores (recency, frequency, monetary) and segments of customers",
  );
  rfm
    .command("refresh")
    .description("rebuild every customer's RFM scores and segment now (the workers also do it nightly)")
    .addOption(new Option("--at <time>", "score as of this moment, ISO 8601 (default: now)"))
    .addHelpText(
      "after",
      "\nMoney is converted to RAPPORT_BASE_CURRENCY with the rates of campaigns/currencies.yaml; the map of\n" +
        "segments is in campaigns/README.md.",
    )
    .action(async (opts: { at?: string }) => {
      const now = opts.at === undefined ? new Date() : new Date(opts.at);
      if (Number.isNaN(now.getTime())) {
        exitWith(`rapport rfm refresh: --at ${opts.at} is not a time: write it like 2026-12-07T03:00:00Z`);
      }
      const { config, log } = loadEnvironment();
      const output = processOutput();
      const { folderCurrencies } = await import("./campaigns-files.ts");
      const { openDatabase } = await import("./campaigns-db.ts");
      const { refreshRfm } = await import("../campaigns/index.ts");
      const currencies = await folderCurrencies(
        config.RAPPORT_CAMPAIGNS_DIR ?? DEFAULT_CAMPAIGNS_DIR,
        config.RAPPORT_BASE_CURRENCY,
        now,
      );
      for (const issue of currencies.issues) {
        output.stderr.write(
          `warning: ${issue.file}: ${issue.message} (only ${currencies.money.base} counts)\n`,
        );
      }
      const handle = await openDatabase(config, log).catch((error: unknown) => {
        if (error instanceof CliError) exitWith(`rapport rfm refresh: ${error.message}`);
        throw error;
      });
      try {
        const progress = createProgress({ stream: output.stderr });
        progress.start("refreshing RFM");
        const started = Date.now();
        const summary = await refreshRfm(handle.db, currencies.money, now);
        progress.finish();
        output.stdout.write(formatRfmSummary(summary, currencies.money.base, Date.now() - started));
      } finally {
        await handle.close();
      }
    });
  return rfm;
}
