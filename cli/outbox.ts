import path from "node:path";
import { Command, Option } from "commander";
import { SENDING_CHANNEL_NAMES } from "../lib/channels.ts";
import { runCommand } from "./campaigns.ts";
import { CliError } from "./campaigns-context.ts";
import { formatMinute } from "./format.ts";
import { renderTable } from "./table.ts";

/** How many messages `rapport outbox` lists unless told. */
const DEFAULT_LIMIT = 20;

/** A cell cut to `width` characters with an ellipsis. */
function cut(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, Math.max(1, width - 1)).join("")}…`;
}

/** `rapport outbox`: what the channels without credentials wrote to `.data/outbox/`, newest first. */
export function outboxCommand(): Command {
  return new Command("outbox")
    .description("list the messages written to the outbox (channels without credentials), newest first")
    .addOption(new Option("--channel <channel>", "only this channel's").choices(SENDING_CHANNEL_NAMES))
    .addOption(new Option("--limit <n>", `how many (default ${DEFAULT_LIMIT})`))
    .addHelpText(
      "after",
      "\nColumns: time (UTC, when the file was written), channel, to, subject (email) or first line (chat), file.\n" +
        "On a terminal the subject is cut to fit; through a pipe every cell is whole.\n" +
        "\nExamples:\n  $ rapport outbox\n  $ rapport outbox --channel email --limit 5\n",
    )
    .action((opts: { channel?: string; limit?: string }) =>
      runCommand("outbox", false, async ({ config, out }) => {
        const limit = opts.limit === undefined ? DEFAULT_LIMIT : Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1)
          throw new CliError(
            `--limit ${opts.limit} is not a count: give a whole number from 1, e.g. --limit 50`,
          );
        const dir = path.join(config.dataDir, "outbox");
        const { listOutbox } = await import("./outbox-list.ts");
        const entries = listOutbox(dir, { channel: opts.channel, limit });
        if (entries.length === 0) {
          out.stderr.write(
            `nothing in ${dir}${opts.channel ? ` for ${opts.channel}` : ""} yet: channels without credentials write their messages there (try rapport demo)\n`,
          );
          return 0;
        }
        const rows = entries.map((e) => [
          formatMinute(e.at),
          e.channel,
          e.to,
          e.summary,
          path.relative(process.cwd(), e.file),
        ]);
        const headers = ["time", "channel", "to", "subject / first line", "file"];
        if (out.stdout.isTTY) {
          // the subject gives way so each row fits the terminal: the other columns, 2 spaces apart, indent 2
          const width = (i: number) => Math.max(headers[i]!.length, ...rows.map((r) => [...r[i]!].length));
          const others = 2 + [0, 1, 2, 4].reduce((sum, i) => sum + width(i), 0) + 4 * 2;
          const room = Math.max(20, (out.stdout.columns ?? 100) - others);
          for (const row of rows) row[3] = cut(row[3]!, room);
        }
        out.stdout.write(
          renderTable(
            headers.map((header) => ({ header })),
            rows,
            { style: out.style },
          ),
        );
        return 0;
      }),
    );
}
