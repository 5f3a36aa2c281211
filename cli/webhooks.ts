import { Command, Option } from "commander";
import { recordAudit } from "../console/auth/audit.ts";
import { isUuid } from "../console/customers/ids.ts";
import { newWebhookSecret, WEBHOOK_EVENTS } from "../lib/standard-webhooks.ts";
import { runCommand } from "./campaigns.ts";
import { CliError, type DbCommandContext } from "./campaigns-context.ts";
import { formatMinute } from "./format.ts";
import { renderTable } from "./table.ts";

/** An http(s) URL with a host, or why not. */
function checkUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`not a URL: ${raw}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new CliError(`expected an http(s) URL, got ${raw}`);
  if (url.username || url.password)
    throw new CliError("put no credentials in the URL: receivers verify the signature");
  return url.toString();
}

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
        const url = checkUrl(rawUrl);
        const events = opts.event
          .flatMap((e) => e.split(","))
          .map((e) => e.trim())
          .filter(Boolean);
        const unknown = events.filter((e) => e !== "*" && !(WEBHOOK_EVENTS as readonly string[]).includes(e));
        if (unknown.length > 0) {
          throw new CliError(
            `unknown event type ${unknown.join(", ")}: use ${WEBHOOK_EVENTS.join(", ")} or *`,
          );
        }
        const fields = (opts.field ?? [])
          .flatMap((f) => f.split(","))
          .map((f) => f.trim())
          .filter(Boolean);
        const secret = newWebhookSecret();
        const row = await c.db.webhookSubscription.create({
          data: {
            name: opts.name ?? new URL(url).host,
            url,
            events,
            fields,
            secret,
            createdBy: c.actor ?? "cli",
          },
        });
        await recordAudit(c.db, {
          actorType: "system",
          action: "webhook.subscribe",
          targetType: "WebhookSubscription",
          targetId: row.id,
          data: { url, events, fields, by: c.actor ?? "cli" },
        });
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
        const subscriptions = await c.db.webhookSubscription.findMany({ orderBy: { createdAt: "asc" } });
        if (subscriptions.length === 0) {
          c.out.stderr.write("no webhook subscriptions yet: rapport webhooks add <url> --event …\n");
          return 0;
        }
        const counts = await c.db.webhookMessage.groupBy({ by: ["subscriptionId", "status"], _count: true });
        const count = (id: string, status: string) =>
          String(counts.find((r) => r.subscriptionId === id && r.status === status)?._count ?? 0);
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
              count(s.id, "delivered"),
              count(s.id, "pending"),
              count(s.id, "failed"),
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
          const found = isUuid(id)
            ? await c.db.webhookSubscription.findUnique({ where: { id: id.toLowerCase() } })
            : null;
          if (!found) throw new CliError(`no webhook subscription ${id} (see rapport webhooks list)`);
          await c.db.webhookSubscription.update({
            where: { id: found.id },
            data:
              name === "remove" ? { active: false } : { pausedAt: null, failingSince: null, active: true },
          });
          await recordAudit(c.db, {
            actorType: "system",
            action: `webhook.${name}`,
            targetType: "WebhookSubscription",
            targetId: found.id,
            data: { by: c.actor ?? "cli" },
          });
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
