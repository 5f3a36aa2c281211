import { Command, Option } from "commander";
import { runCommand } from "./campaigns.ts";
import type { DbCommandContext } from "./campaigns-context.ts";

const format = () =>
  new Option("--format <format>", "csv or jsonl (default: from the file's name, else csv)").choices([
    "csv",
    "jsonl",
  ]);
const out = () =>
  new Option("-o, --out <file>", "write to this file (ending in .gz: gzipped) instead of stdout");

/** `rapport export`: customers, orders, deliveries, a segment's members, or one customer's data (GDPR). */
export function exportCommand(): Command {
  const command = new Command("export")
    .description(
      "export customers, orders, deliveries, a segment or one customer's data, as CSV or JSON lines",
    )
    .addHelpText(
      "after",
      "\nRows are streamed a page at a time (memory stays flat), to stdout or --out; progress goes to stderr.\n" +
        "Dates are ISO 8601 in UTC; money is per currency, purchases less refunds. Every export is written to\n" +
        "the audit log (what, how many rows, by whom), since it takes personal data out of Rapport.\n" +
        "\nExamples:\n" +
        "  $ rapport export customers -o customers.csv\n" +
        "  $ rapport export segment vip --format csv > vip.csv     (for an ad audience)\n" +
        "  $ rapport export orders -o orders.jsonl.gz\n" +
        "  $ rapport export deliveries --campaign win-back\n" +
        "  $ rapport export customer ola@example.com -o ola.json  (a GDPR access request)\n",
    );
  const bulk = (kind: "customers" | "orders" | "deliveries", description: string) =>
    command
      .command(kind)
      .description(description)
      .addOption(format())
      .addOption(out())
      .action((opts: { format?: string; out?: string; campaign?: string }) => {
        return runCommand(`export ${kind}`, true, async (ctx) => {
          const { runExport } = await import("./export.ts");
          await runExport(ctx as DbCommandContext, { kind, ...opts });
          return 0;
        });
      });
  bulk("customers", "every customer: contacts, locale, email consent, orders, net spend per currency");
  bulk("orders", "every purchase: order id, customer, total, what was refunded, its lines");
  bulk("deliveries", "every message planned, sent, skipped or failed").addOption(
    new Option("--campaign <id>", "only this campaign's"),
  );
  command
    .command("segment")
    .description("the customers of a segment of campaigns/segments.yaml, now")
    .argument("<name>", "the segment's name, e.g. vip")
    .addOption(format())
    .addOption(out())
    .action((segment: string, opts: { format?: string; out?: string }) => {
      return runCommand("export segment", true, async (ctx) => {
        const { runExport } = await import("./export.ts");
        await runExport(ctx as DbCommandContext, { kind: "segment", segment, ...opts });
        return 0;
      });
    });
  command
    .command("customer")
    .description("everything stored about one customer, as one JSON document (GDPR access request)")
    .argument("<who>", "the customer's id or email address")
    .addOption(out())
    .action((who: string, opts: { out?: string }) =>
      runCommand("export customer", true, async (ctx) => {
        const { runCustomerExport } = await import("./export.ts");
        await runCustomerExport(ctx as DbCommandContext, who, opts.out);
        return 0;
      }),
    );
  return command;
}
