import { Command, Option } from "commander";
import {
  addWebhookSubscription,
  badWebhookFields,
  changeWebhookSubscription,
  checkWebhookUrl,
  listWebhookSubscriptions,
  splitList,
  unknownWebhookEvents,
  type WebhookUrlProblem,
} from "../console/webhooks.ts";
import { WEBHOOK_EVENTS } from "../lib/standard-webhooks.ts";
import { runCommand } from "./campaigns.ts";
import { CliError, type DbCommandContext } from "./campaigns-context.ts";
import { formatMinute } from "./format.ts";
import { renderTable } from "./table.ts";

const URL_PROBLEMS: Record<WebhookUrlProblem, string> = {
  invalid: "not a URL",
  scheme: "expected an https URL",
  credentials: "put no credentials in the URL (receivers verify the signature)",
  https: "use https (plain http only to localhost, for development)",
};

/** `rapport webhooks add|list|remove|resume`: the systems Rapport tells what happened (Standard Webhooks). */
export function webhooksCommand(): Command {
  const command = new Command("webhooks").description(
    "outbound webhooks: the systems Rapport tells what happened, signed as Standard Webhooks says",
  );
  command
    .command("add")
    .description("subscribe a URL to event types; prints the signing secret (whsec_…) once, on stdout")
    .argument("<url>", "where to POST, e.g. https://erp.example.com/hooks/rapport")
    .addOption(
      new Option(
        "--event <type...>",
        `event types, or * for all: ${WEBHOOK_EVENTS.join(", ")}`,
      ).makeOptionMandatory(),
    )
    .addOption(new Option("--field <name...>", "send only these fields of data (default: all)"))
    .addOption(new Option("--name <name>", "what it is, for people (default: the URL's host)"))
    .addHelpText(
      "after",
      "\nExample:\n  $ rapport webhooks add https://erp.example.com/hooks --event purchase.created --field orderId total currency\n",
    )
    .action((rawUrl: string, opts: { event: string[]; field?: string[]; name?: string }) =>
      runCommand("webhooks add", true, async (ctx) => {
        const c = ctx as DbCommandContext;
        const checked = checkWebhookUrl(rawUrl);
        if (!checked.ok) throw new CliError(`${URL_PROBLEMS[checked.problem]}: ${rawUrl}`);
        const events = splitList(opts.event);
        const unknown = unknownWebhookEvents(events);
        if (unknown.length > 0) {
          throw new CliError(
            `unknown event type ${unknown.join(", ")}: use ${WEBHOOK_EVENTS.join(", ")} or *`,
          );
        }
        const fields = splitList(opts.field);
        const bad = badWebhookFields(fields);
        if (bad.length > 0) throw new CliError(`not a field name: ${bad.join(", ")}`);
        const by = c.actor ?? "cli";
        const { secret, ...row } = await addWebhookSubscription(
          c.db,
          { name: opts.name, url: checked.url, events, fields },
          { by },
          new Date(c.clock.now()),
        );
        c.out.stdout.write(`${secret}\n`);
        c.out.stderr.write(
          `subscription ${row.id} (${row.name}) added for ${events.join(", ")}; give the receiver the secret above\n`,
        );
        return 0;
      }),
    );
  command
    .command("list")
    .description("every subscription: events, fields, messages delivered and failed, failing since, paused")
    .action(() =>
      runCommand("webhooks list", true, async (ctx) => {
        const c = ctx as DbCommandContext;
        const subscriptions = await listWebhookSubscriptions(c.db);
        if (subscriptions.length === 0) {
          c.out.stderr.write("no webhook subscriptions yet: rapport webhooks add <url> --event …\n");
          return 0;
        }
        const when = (d: Date | null) => (d ? formatMinute(d) : "-");
        c.out.stdout.write(
          renderTable(
            [
              "id",
              "name",
              "url",
              "events",
              "fields",
              "delivered",
              "pending",
              "failed",
              "failing since",
              "paused",
            ].map((header) => ({ header })),
            subscriptions.map((s) => [
              s.id,
              s.name,
              s.url,
              s.events.join(" "),
              s.fields.join(" ") || "all",
              String(s.counts.delivered),
              String(s.counts.pending),
              String(s.counts.failed),
              when(s.failingSince),
              s.active ? when(s.pausedAt) : "removed",
            ]),
            { style: c.out.style },
          ),
        );
        return 0;
      }),
    );
  const change = (name: "remove" | "resume", description: string) =>
    command
      .command(name)
      .description(description)
      .argument("<id>", "the subscription's id, as `webhooks list` shows it")
      .action((id: string) =>
        runCommand(`webhooks ${name}`, true, async (ctx) => {
          const c = ctx as DbCommandContext;
          const found = await changeWebhookSubscription(
            c.db,
            id,
            name,
            { by: c.actor ?? "cli" },
            new Date(c.clock.now()),
          );
          if (!found) throw new CliError(`no webhook subscription ${id} (see rapport webhooks list)`);
          c.out.stderr.write(
            `subscription ${found.id} (${found.name}) ${name === "remove" ? "removed" : "resumed"}\n`,
          );
          return 0;
        }),
      );
  change("remove", "stop sending to a subscription (its messages and tries stay, for the record)");
  change("resume", "send again to a subscription paused after 3 days of failures");
  return command;
}
