import { writeFile } from "node:fs/promises";
import { Command, Option } from "commander";
import { stringify } from "csv-stringify/sync";
import type { CouponRow } from "../workers/index.ts";
import { CliError } from "./campaigns-context.ts";
import { exitWith, loadEnvironment } from "./env.ts";
import { processOutput } from "./output.ts";

/** The CSV columns of `rapport coupons export`, in order. */
export const COUPON_CSV_COLUMNS = [
  "code",
  "prefix",
  "campaign",
  "email",
  "created_at",
  "shop",
  "shop_confirmed_at",
  "redeemed_at",
  "order",
] as const;

const iso = (at: Date | null) => (at ? at.toISOString() : "");

/** Codes as CSV (RFC 4180: a header line, fields quoted where they hold commas, quotes or line breaks). */
export function couponsCsv(rows: readonly CouponRow[]): string {
  return stringify(
    rows.map((r) => [
      r.code,
      r.prefix,
      r.campaignId ?? "",
      r.email ?? "",
      iso(r.createdAt),
      r.shop ?? "",
      iso(r.shopConfirmedAt),
      iso(r.redeemedAt),
      r.redeemedOrderId ?? "",
    ]),
    { header: true, columns: [...COUPON_CSV_COLUMNS] },
  );
}

/** `rapport coupons export <prefix>`: the codes of a prefix as CSV, to load into a shop by hand. */
export function couponsCommand(): Command {
  const coupons = new Command("coupons").description("the unique() discount codes campaigns hand out");
  coupons
    .command("export")
    .description(
      "write every code of a prefix as CSV (stdout, or --out): to load into a shop Rapport is not connected to",
    )
    .argument("<prefix>", "the prefix of unique(PREFIX), e.g. WINBACK15")
    .addOption(new Option("--out <file>", "write the CSV to this file instead of stdout"))
    .action(async (prefix: string, opts: { out?: string }) => {
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(prefix))
        exitWith(
          `rapport coupons export: ${prefix} is not a prefix: use the one of unique(PREFIX), like WINBACK15`,
        );
      const { config, log } = loadEnvironment();
      const output = processOutput();
      const { openDatabase } = await import("./campaigns-db.ts");
      const { couponsOf } = await import("../workers/index.ts");
      const handle = await openDatabase(config, log).catch((error: unknown) => {
        if (error instanceof CliError) exitWith(`rapport coupons export: ${error.message}`);
        throw error;
      });
      try {
        const rows = await couponsOf(handle.db, prefix);
        const csv = couponsCsv(rows);
        if (opts.out) {
          await writeFile(opts.out, csv);
          output.stderr.write(`wrote ${rows.length} ${prefix.toUpperCase()} code(s) to ${opts.out}\n`);
        } else output.stdout.write(csv);
      } finally {
        await handle.close();
      }
    });
  return coupons;
}
