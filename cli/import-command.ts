import { userInfo } from "node:os";
import { Command, Option } from "commander";
import { runCommand } from "./campaigns.ts";
import type { CommandContext } from "./campaigns-context.ts";

const KINDS = {
  customers:
    "customers: customer id, email, phone, name, locale, time zone, country, email consent; other columns become attributes",
  orders:
    "orders (purchases): order id, customer, total, currency, date, items; stored once per order id; one row per line item (Shopify's orders export) is one order",
  events:
    "other events (refund, rating, page_view…): type, customer, date, value; other columns become properties",
  consent: "marketing consent: customer, channel, granted/denied, when, source",
  suppressions: "addresses and chat ids never to message: address, channel, reason",
} as const;

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `rapport import customers|orders|events|consent|suppressions <file>`. */
export function importCommand(): Command {
  const command = new Command("import")
    .description("import customers, orders, events, consent or suppressions from a CSV or JSON lines file")
    .addHelpText(
      "after",
      "\nCSV with any of , ; tab | as delimiter (or JSON lines), UTF-8 with or without BOM, gzipped or not; `-` reads stdin.\n" +
        "Columns are matched by header in English, Indonesian or Polish (e-mail, telefon, no_hp, nama, imię…);\n" +
        "--map fixes the rest. Customers are matched by customer id, then email, then phone: the brand's own data\n" +
        "is trusted for identity. Importing the same file again changes nothing. Rows that cannot be loaded go to\n" +
        "<file>.rejects.csv (line, column, value, reason) and the others still load. Exit code 0: all loaded;\n" +
        "3: some rows rejected; 1: the file could not be read.\n" +
        "\nExamples:\n" +
        "  $ rapport import customers klienci.csv --country PL\n" +
        "  $ rapport import customers pelanggan.csv.gz --country ID --dry-run\n" +
        '  $ rapport import customers export.csv --map "Nr klienta=externalId" --map "Notes=ignore"\n' +
        "  $ rapport import orders orders.jsonl\n" +
        "  $ rapport import orders orders_export.csv     # Shopify: rows of one order (Name #1001) are its items\n" +
        "  $ zcat events.csv.gz | rapport import events -\n",
    );
  for (const [kind, description] of Object.entries(KINDS) as [keyof typeof KINDS, string][]) {
    command
      .command(kind)
      .description(description)
      .argument("<file>", "a .csv, .tsv, .jsonl (optionally .gz) file, or - for stdin")
      .addOption(
        new Option(
          "--dry-run",
          "check and count everything as the import would (one transaction, rolled back)",
        ),
      )
      .addOption(
        new Option("--map <column=field>", "read this column as this field (repeatable)").argParser(collect),
      )
      .addOption(
        new Option("--country <code>", "region of phone numbers written without country code, e.g. PL"),
      )
      .addOption(new Option("--delimiter <char>", "CSV delimiter (default: guessed from the header)"))
      .addOption(
        new Option("--format <format>", "csv or jsonl (default: from the name or content)").choices([
          "csv",
          "jsonl",
        ]),
      )
      .addOption(new Option("--rejects <file>", "where rejected rows go (default: <file>.rejects.csv)"))
      .addOption(new Option("--batch-size <rows>", "rows per transaction (default 5000)").argParser(Number))
      .action((file: string, opts: Record<string, unknown>) =>
        runCommand(`import ${kind}`, false, (ctx) => importWith(ctx, kind, file, opts)),
      );
  }
  return command;
}

/** Opens the database itself (the importer needs the engine's own connection), then imports. */
async function importWith(
  ctx: CommandContext,
  kind: keyof typeof KINDS,
  file: string,
  opts: Record<string, unknown>,
) {
  const { openDatabase } = await import("./campaigns-db.ts");
  const { CliError } = await import("./campaigns-context.ts");
  let handle: Awaited<ReturnType<typeof openDatabase>>;
  try {
    handle = await openDatabase(ctx.config, ctx.log);
  } catch (error) {
    if (error instanceof CliError && error.message.includes("is in use by process"))
      throw new CliError(
        `${error.message}. The running server can import the file instead: stop it and run this again, or upload the file in the console.`,
      );
    throw error;
  }
  try {
    const { runImportCommand } = await import("./import.ts");
    const target =
      handle.kind === "pglite" && handle.pglite
        ? { kind: "pglite" as const, pglite: handle.pglite }
        : { kind: "postgres" as const, url: handle.url };
    let actor = "cli";
    try {
      actor = `cli:${userInfo().username}`;
    } catch {}
    return await runImportCommand({ ...ctx, db: handle.db, actor }, target, {
      kind,
      file,
      ...(opts as object),
    });
  } finally {
    await handle.close();
  }
}
