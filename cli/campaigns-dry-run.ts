import type { CompiledCampaign } from "../campaigns/index.ts";
import { createAudiences, type DryRunRow, dryRunCampaign } from "../workers/index.ts";
import type { DbCommandContext } from "./campaigns-context.ts";
import { resolveCampaign } from "./campaigns-resolve.ts";
import { formatCount, formatPeriod, plural } from "./format.ts";
import { createProgress } from "./progress.ts";
import { type Column, renderTable } from "./table.ts";

/** Why a customer of the audience would get nothing, as the dry run counts it, and what that means. */
const NOT_SENT: ReadonlyArray<[string, string]> = [
  ["holdout", "in the hold-out group: counted for the comparison, never sent"],
  ["no_channel", "no address on any channel the campaign lists"],
  ["opted_out", "opted out of (or suppressed on) every listed channel they can be reached on"],
  ["frequency_cap", "already got max_per_day / max_per_week marketing messages"],
  ["exists", "already has this occurrence's message (a re-run, or once_per_customer)"],
];

/**
 * `rapport campaigns dry-run <campaign>`: who the campaign's next occurrence would reach, counted in the
 * database per channel, language and variant, and who it would leave out and why. Sends and writes nothing.
 * @returns the exit code.
 */
export async function dryRunCommand(ctx: DbCommandContext, arg: string): Promise<number> {
  const { db, out, config } = ctx;
  const { style } = out;
  const resolved = await resolveCampaign(ctx, arg, db);
  const { campaign } = resolved;
  const now = new Date(ctx.clock.now());
  const progress = createProgress({ stream: out.stderr });
  progress.start(`counting the audience of ${campaign.id}`);
  const rows = await dryRunCampaign(db, {
    campaign,
    audiences: createAudiences(() => resolved.segments),
    brand: { name: config.BRAND_NAME, url: config.BRAND_URL },
    now,
  });
  const audience = rows.reduce((sum, r) => sum + r.count, 0);
  progress.finish(plural(audience, "customer"));

  out.stdout.write(
    `${style.bold(`Dry run of ${campaign.id}`)} (${resolved.origin}): ${occurrence(campaign, now)}.\n` +
      `Nothing is sent or written.\n\n`,
  );
  const sending = rows.filter((r) => r.status === "planned");
  const withVariant = campaign.variants !== undefined;
  const columns: Column[] = [
    { header: "channel" },
    { header: "locale" },
    ...(withVariant ? [{ header: "variant" }] : []),
    { header: "customers", align: "right" },
  ];
  const cells = (r: DryRunRow) => [r.channel, r.locale, ...(withVariant ? [r.variant ?? "-"] : [])];
  const sent = sending.reduce((sum, r) => sum + r.count, 0);
  out.stdout.write(`${style.green("Would send")}\n`);
  out.stdout.write(
    renderTable(
      columns,
      sending.map((r) => [...cells(r), formatCount(r.count)]),
      { style, footer: [["total", "", ...(withVariant ? [""] : []), formatCount(sent)]] },
    ),
  );

  const byReason = new Map<string, number>();
  for (const r of rows.filter((r) => r.status !== "planned")) {
    const reason = r.status === "exists" ? "exists" : (r.reason ?? r.status);
    byReason.set(reason, (byReason.get(reason) ?? 0) + r.count);
  }
  const reasons = [
    ...NOT_SENT,
    ...[...byReason.keys()]
      .filter((k) => !NOT_SENT.some(([n]) => n === k))
      .map((k) => [k, ""] as [string, string]),
  ];
  out.stdout.write(`\n${style.yellow("Would not send")}\n`);
  out.stdout.write(
    renderTable(
      [{ header: "reason" }, { header: "customers", align: "right" }, { header: "meaning" }],
      reasons.map(([reason, meaning]) => [
        reason,
        formatCount(byReason.get(reason) ?? 0),
        style.dim(meaning),
      ]),
      { style, footer: [["total", formatCount(audience - sent), ""]] },
    ),
  );
  out.stdout.write(
    `\nAudience: ${plural(audience, "customer")}; ${formatCount(sent)} would get the message.\n`,
  );
  return 0;
}

/** Which occurrence the dry run counted, in words. */
function occurrence(campaign: CompiledCampaign, now: Date): string {
  const trigger = campaign.trigger;
  switch (trigger.kind) {
    case "event":
      return `every customer of the audience, as if each had just had a ${trigger.event} event`;
    case "inactive":
      return `customers quiet for ${formatPeriod(trigger.forMs)} (since ${trigger.since}) as of ${now.toISOString()}`;
    case "segment_entered":
      return `the members of segment ${trigger.segment} as of ${now.toISOString()}`;
    case "schedule":
      return trigger.at
        ? `the send at ${trigger.at} (${trigger.timezone === "customer" ? "each customer's time" : trigger.timezone})`
        : `the next run of cron "${trigger.cron}" (${trigger.timezone}) after ${now.toISOString()}`;
  }
}
