import { Command, Option } from "commander";
import type { App } from "./app.ts";
import { campaignsCommand } from "./campaigns.ts";
import { couponsCommand } from "./coupons.ts";
import { exitWith, loadEnvironment } from "./env.ts";
import { exportCommand } from "./export-command.ts";
import { importCommand } from "./import-command.ts";
import { failCommand } from "./known-errors.ts";
import { outboxCommand } from "./outbox.ts";
import { rfmCommand } from "./rfm.ts";
import { registerStaffCommand } from "./staff.ts";
import { tokensCommand } from "./tokens.ts";
import { webhooksCommand } from "./webhooks.ts";

// The app (bots, queues, HTTP) loads only for the commands that run it, so `rapport campaigns validate` and
// `rapport --help` start quickly.

const program = new Command("rapport")
  .description("Rapport: customer conversations on every channel, one profile, and campaigns that send once.")
  .showHelpAfterError("(run with --help for usage)")
  .version("0.1.0");

program
  .command("start")
  .description("run Rapport: HTTP server (events API, webhooks), configured bots, and the queue workers")
  .option("--no-workers", "do not run queue workers here (run `rapport worker` processes instead)")
  .option("--no-bots", "do not run the chat bots (Telegram polling, …) in this process")
  .addHelpText(
    "after",
    "\nWith no DATABASE_URL, data lives in an embedded PGlite database under RAPPORT_DATA_DIR (.data).\n" +
      "With no Redis at REDIS_URL and redis-server installed, one is started under .data/redis.\n" +
      "Channels without credentials write their messages to .data/outbox/<channel>/.",
  )
  .action(async (opts: { workers: boolean; bots: boolean }) => {
    const { config, log } = loadEnvironment();
    const { startBanner, startProgress } = await import("./start-output.ts");
    const progress = startProgress((text) => process.stdout.write(text));
    progress.step("loading the server");
    const { createApp } = await import("./app.ts");
    const app = await createApp({
      config,
      log,
      workers: opts.workers,
      bots: opts.bots,
      progress: progress.step,
    }).catch(fail);
    progress.ready();
    process.stdout.write(startBanner(app));
    stopOnSignal(app);
  });

program
  .command("worker")
  .description("run queue workers only (events, plan, deliver-<channel>): start several, on any machines")
  .addHelpText("after", "\nNeeds PostgreSQL (DATABASE_URL) and the same REDIS_URL as `rapport start`.")
  .action(async () => {
    const { config, log } = loadEnvironment();
    if (!config.DATABASE_URL || config.DATABASE_URL.startsWith("pglite:")) {
      exitWith(
        "rapport worker: DATABASE_URL must point to PostgreSQL. The embedded PGlite database belongs to one `rapport start` process; run workers inside it, or move to PostgreSQL to scale out.",
      );
    }
    const { createApp } = await import("./app.ts");
    const app = await createApp({ config, log, http: false, bots: false, migrate: false }).catch(fail);
    process.stdout.write(
      `Rapport worker running: queues ${app.queues.prefix} (installation ${app.installation}). Press Ctrl+C to stop.\n`,
    );
    stopOnSignal(app);
  });

const db = program.command("db").description("database schema: migrate, status, new migration, reset");
db.command("migrate")
  .description("apply pending migrations (PostgreSQL at DATABASE_URL, or the embedded PGlite database)")
  .action(async () => (await import("./db.ts")).runDbCommand("migrate"));
db.command("status")
  .description("show applied, pending and failed migrations")
  .action(async () => (await import("./db.ts")).runDbCommand("status"));
db.command("new")
  .description("for developers: write a migration from the changes in prisma/schema.prisma")
  .argument("<name>", "snake_case name, e.g. add_link_codes")
  .action(async (name: string) => (await import("./db.ts")).runDbCommand("new", name));
db.command("reset")
  .description("drop everything and re-apply all migrations (asks for --force)")
  .addOption(new Option("--force", "really erase every row"))
  .action(async (opts: { force?: boolean }) =>
    (await import("./db.ts")).runDbCommand(opts.force ? "reset" : "reset-refused"),
  );

program
  .command("demo")
  .description(
    "send three thank-you emails (English, Indonesian, Polish) through the whole pipeline into the outbox",
  )
  .addHelpText(
    "after",
    "\nCreates three customers, posts their purchases to the real HTTP API, and waits until the thank-you\n" +
      "emails are written to .data/outbox/email/. Uses the Rapport running from this folder (`npm start`) when\n" +
      "one answers on HOST:PORT, else starts its own in this process with every channel on the outbox.",
  )
  .action(async () => {
    const { config, log } = loadEnvironment();
    const { runDemo } = await import("./demo.ts");
    await runDemo(config, log).catch((error: unknown) => failCommand("rapport demo", error));
  });

program.addCommand(campaignsCommand());
program.addCommand(couponsCommand());
program.addCommand(rfmCommand());
program.addCommand(importCommand());
program.addCommand(exportCommand());
program.addCommand(outboxCommand());
program.addCommand(tokensCommand());
program.addCommand(webhooksCommand());

registerStaffCommand(program);

function stopOnSignal(app: App): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping…\n`);
    await app.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
}

function fail(error: unknown): never {
  failCommand("rapport", error);
}

await program.parseAsync(process.argv).catch(fail);
