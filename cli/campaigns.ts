import { userInfo } from "node:os";
import { Command } from "commander";
import { systemClock } from "../lib/clock.ts";
import type { CommandContext, DbCommandContext } from "./campaigns-context.ts";
import { loadEnvironment } from "./env.ts";
import { knownCondition } from "./known-errors.ts";
import { processOutput } from "./output.ts";

// Each command loads its own modules when it runs: `validate` (pre-commit hooks, CI) stays quick and never
// loads the database driver, the queues or the bots.

/** `rapport campaigns …`: the marketer's commands, from a YAML file to its results. */
export function campaignsCommand(): Command {
  const campaigns = new Command("campaigns")
    .description("validate, preview, dry-run, ship, pause and report on campaigns (campaigns/*.yaml)")
    .addHelpText(
      "after",
      "\nWorkflow: validate → preview → dry-run → ship → status. validate needs no database; the others use\n" +
        "DATABASE_URL (or the embedded database) and never Redis. See campaigns/README.md.",
    );

  campaigns
    .command("validate")
    .description("compile campaign files and check their templates; no database needed (pre-commit, CI)")
    .argument("[files...]", "campaign files or folders (default: RAPPORT_CAMPAIGNS_DIR or campaigns/)")
    .addHelpText(
      "after",
      examples(
        "rapport campaigns validate",
        "rapport campaigns validate campaigns/win-back.yaml campaigns/promo-vip.yaml",
      ) + "\nPrints every problem as file:line:col: message, then a summary; exits 1 when there is any.",
    )
    .action((files: string[]) =>
      run("validate", false, async (ctx) =>
        (await import("./campaigns-validate.ts")).validateCommand(ctx, files),
      ),
    );

  campaigns
    .command("preview")
    .description("render the message one customer would get, in their language; sends nothing")
    .argument("<campaign>", "a campaign id or file")
    .requiredOption("--customer <email|id>", "the customer, by email address or id")
    .option("--channel <channel>", "render for this channel instead of the one the planner would pick")
    .option("--locale <locale>", "render in this language (en, id, pl) instead of the customer's")
    .option("--html <file>", "also write the email's HTML to this file")
    .addHelpText(
      "after",
      examples(
        "rapport campaigns preview win-back --customer jan.kowalski@example.com",
        "rapport campaigns preview promo-vip --customer siti@example.com --channel email --html /tmp/promo.html",
      ) +
        "\nA campaign id means the file in the campaigns folder when there is one (what you are about to ship),\n" +
        "else the shipped version. Coupons show as <PREFIX>-PREVIEW; nothing is written to the database.",
    )
    .action((id: string, options: { customer: string; channel?: string; locale?: string; html?: string }) =>
      run("preview", true, async (ctx) =>
        (await import("./campaigns-preview.ts")).previewCommand(ctx as DbCommandContext, id, options),
      ),
    );

  campaigns
    .command("dry-run")
    .description(
      "count who the next occurrence would reach, per channel, language and variant; sends nothing",
    )
    .argument("<campaign>", "a campaign id or file")
    .addHelpText(
      "after",
      examples("rapport campaigns dry-run win-back", "rapport campaigns dry-run campaigns/promo-vip.yaml") +
        "\nAlso counts who would be left out and why: holdout, no_channel, opted_out, frequency_cap, exists.",
    )
    .action((id: string) =>
      run("dry-run", true, async (ctx) =>
        (await import("./campaigns-dry-run.ts")).dryRunCommand(ctx as DbCommandContext, id),
      ),
    );

  campaigns
    .command("ship")
    .description("compile campaign files and make them the campaigns' current, active versions")
    .argument("<files...>", "campaign files (or ids of files in the campaigns folder)")
    .addHelpText(
      "after",
      examples("rapport campaigns ship campaigns/promo-vip.yaml", "rapport campaigns ship campaigns/*.yaml") +
        "\nNothing is shipped when any file has a problem. Shipping an unchanged file keeps its version.\n" +
        "Messages already sent are never sent again: deliveries are keyed by campaign, not version.",
    )
    .action((files: string[]) =>
      run("ship", true, async (ctx) =>
        (await import("./campaigns-ship.ts")).shipCommand(ctx as DbCommandContext, files),
      ),
    );

  const statusChanges = [
    ["pause", "paused", "stop sending: planned messages wait in their queues until resume"],
    ["resume", "active", "start sending again a paused (or archived) campaign"],
    ["archive", "archived", "retire a campaign: planned messages are skipped, results are kept"],
  ] as const;
  for (const [name, status, description] of statusChanges) {
    campaigns
      .command(name)
      .description(description)
      .argument("<campaigns...>", "ids of shipped campaigns")
      .addHelpText("after", examples(`rapport campaigns ${name} promo-vip`))
      .action((ids: string[]) =>
        run(name, true, async (ctx) =>
          (await import("./campaigns-ship.ts")).setStatusCommand(ctx as DbCommandContext, ids, status),
        ),
      );
  }

  campaigns
    .command("status")
    .description("list campaigns with their totals, or one campaign's results per variant")
    .argument("[campaign]", "a campaign id: its results per step and variant")
    .addHelpText(
      "after",
      examples("rapport campaigns status", "rapport campaigns status promo-vip") +
        "\nPer variant: pending, sent, delivered, opened, clicked, failed (top reasons), suppressed, skipped (by\n" +
        "reason), conversions, conversion rate and revenue; the hold-out group's rate is its baseline.",
    )
    .action((id: string | undefined) =>
      run("status", true, async (ctx) =>
        (await import("./campaigns-status.ts")).statusCommand(ctx as DbCommandContext, id),
      ),
    );
  return campaigns;
}

function examples(...lines: string[]): string {
  return `\nExample${lines.length > 1 ? "s" : ""}:\n${lines.map((l) => `  $ ${l}\n`).join("")}`;
}

/** Runs one `rapport campaigns` command (see {@link runCommand}). */
function run(
  name: string,
  needsDb: boolean,
  command: (ctx: CommandContext | DbCommandContext) => Promise<number>,
): Promise<void> {
  return runCommand(`campaigns ${name}`, needsDb, command);
}

/**
 * Runs one command of the CLI (`name` as typed after `rapport`): loads the configuration, opens the database
 * when the command needs it (closing it after), and turns the operator's mistakes into one clear message on
 * stderr and exit code 1.
 */
export async function runCommand(
  name: string,
  needsDb: boolean,
  command: (ctx: CommandContext | DbCommandContext) => Promise<number>,
): Promise<void> {
  const { config, log } = loadEnvironment();
  const out = processOutput();
  const ctx: CommandContext = { config, log, out, clock: systemClock };
  let close: (() => Promise<void>) | undefined;
  try {
    if (!needsDb) {
      process.exitCode = await command(ctx);
      return;
    }
    const { openDatabase } = await import("./campaigns-db.ts");
    const handle = await openDatabase(config, log);
    close = handle.close;
    process.exitCode = await command({ ...ctx, db: handle.db, actor: actor() });
  } catch (error) {
    const known = knownCondition(error);
    if (known === undefined) throw error;
    const text = known.includes("\n") ? known : `rapport ${name}: ${known}`;
    out.stderr.write(`${out.errorStyle.red(text)}\n`);
    process.exitCode = 1;
  } finally {
    await close?.();
  }
}

/** The operator, as audit rows name them. */
function actor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return "cli";
  }
}
