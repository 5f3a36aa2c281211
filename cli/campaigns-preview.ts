import { writeFileSync } from "node:fs";
import { SENDING_CHANNEL_NAMES, SendingChannelName } from "../lib/channels.ts";
import { configuredOrGeneratedSecret } from "../lib/secrets.ts";
import { createAudiences, findCustomerId, type MessagePreview, previewMessage } from "../workers/index.ts";
import { CliError, type DbCommandContext } from "./campaigns-context.ts";
import { templateFolder } from "./campaigns-files.ts";
import { resolveCampaign } from "./campaigns-resolve.ts";

/** Options of `rapport campaigns preview`. */
export interface PreviewArgs {
  /** Email address or id. */
  customer: string;
  channel?: string;
  locale?: string;
  /** Write the email's HTML to this file. */
  html?: string;
}

const LANGUAGES = new Intl.DisplayNames("en", { type: "language" });

/**
 * `rapport campaigns preview <campaign> --customer <email|id>`: renders the message one customer would get
 * (channel, variant, language, coupons as placeholders, unsubscribe link) and sends and writes nothing.
 * @returns the exit code.
 */
export async function previewCommand(ctx: DbCommandContext, arg: string, args: PreviewArgs): Promise<number> {
  const { config, db, out } = ctx;
  const channel = args.channel === undefined ? undefined : SendingChannelName.safeParse(args.channel);
  if (channel && !channel.success)
    throw new CliError(
      `--channel: unknown channel '${args.channel}': one of ${SENDING_CHANNEL_NAMES.join(", ")}`,
    );
  const resolved = await resolveCampaign(ctx, arg, db);
  const customerId = await findCustomerId(db, args.customer);
  if (!customerId)
    throw new CliError(
      `no customer with ${args.customer.includes("@") ? "email" : "id"} ${args.customer}: give an email address or a customer id`,
    );
  const link = configuredOrGeneratedSecret(config.RAPPORT_LINK_SECRET, config.dataDir, "link-secret");
  const result = await previewMessage(
    db,
    {
      templates: templateFolder(config).store,
      publicUrl: config.PUBLIC_URL,
      unsubscribeSecret: link.value,
      brand: { name: config.BRAND_NAME, url: config.BRAND_URL },
      clock: ctx.clock,
      audiences: createAudiences(() => resolved.segments),
    },
    resolved.campaign,
    customerId,
    { ...(channel?.data && { channel: channel.data }), ...(args.locale && { locale: args.locale }) },
  );
  if (result.kind === "render_error") throw new CliError(`cannot render the message: ${result.message}`);
  if (result.kind !== "preview") throw new CliError(`${result.kind.replace("_", " ")}`);
  if (args.html !== undefined) {
    if (result.html === undefined)
      throw new CliError(`--html: a ${result.channel} message has no HTML part: add --channel email`);
    writeFileSync(args.html, result.html);
  }
  const { style } = out;
  const rows: Array<[string, string]> = [
    ["campaign", `${result.campaign.id} (${resolved.origin})`],
    ["customer", customerLine(result)],
    ["channel", `${result.channel} → ${result.recipient ?? style.yellow("no address there")}`],
    ["locale", localeLine(result)],
    ["variant", variantLine(result)],
    ["due", dueLine(result, ctx.clock.now())],
  ];
  const skip = skipNote(result, resolved.campaign.audience, args.channel !== undefined);
  if (skip) rows.push(["note", style.yellow(skip)]);
  if (result.subject !== undefined) rows.push(["subject", style.bold(result.subject)]);
  if (result.unsubscribeUrl) rows.push(["unsubscribe", result.unsubscribeUrl]);
  if (result.segments) rows.push(["segments", segmentsLine(result.segments, style)]);
  if (args.html !== undefined) rows.push(["html", `written to ${args.html}`]);
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) out.stdout.write(`${style.dim(label.padEnd(width))}  ${value}\n`);
  out.stdout.write(`\n${style.dim(`--- ${result.subject !== undefined ? "text part" : "message"} ---`)}\n`);
  out.stdout.write(`${result.text.trimEnd()}\n`);
  return 0;
}

function customerLine(p: MessagePreview): string {
  const who = [p.customer.name, p.customer.email && `<${p.customer.email}>`].filter(Boolean).join(" ");
  return `${who || "(no name)"} ${p.customer.id}`;
}

function localeLine(p: MessagePreview): string {
  if (p.renderedLocale === p.locale) return p.locale;
  return `${p.locale}: no ${LANGUAGES.of(p.locale)} template for ${p.channel}, English stood in`;
}

function variantLine(p: MessagePreview): string {
  if (p.variant === null) return "none (no A/B test)";
  if (p.variant === "holdout") return `holdout (shown: variant ${p.shownVariant})`;
  return p.variant;
}

function dueLine(p: MessagePreview, now: number): string {
  if (p.scheduledAt.getTime() - now < 60_000) return "now";
  const local = new Intl.DateTimeFormat("sv-SE", {
    timeZone: p.customer.timezone,
    dateStyle: "short",
    timeStyle: "short",
  }).format(p.scheduledAt);
  return `${local} ${p.customer.timezone} (${p.scheduledAt.toISOString()})`;
}

function skipNote(p: MessagePreview, audience: string | undefined, forced: boolean): string | undefined {
  switch (p.wouldSkip) {
    case "holdout":
      return "in the hold-out group: this customer would get nothing";
    case "no_channel":
      return `no address on ${forced ? p.channel : "any channel the campaign lists"}: this customer would be skipped`;
    case "opted_out":
      return `opted out of ${p.channel}${forced ? "" : " and every other listed channel they can be reached on"}: this customer would be skipped`;
    case "not_in_audience":
      return `not in the audience (${audience}) now: this customer would get nothing`;
    default:
      return undefined;
  }
}

/** "2 SMS (GSM-7, 161 characters)", and a warning past the campaign's max_segments. */
function segmentsLine(
  segments: NonNullable<MessagePreview["segments"]>,
  style: { yellow: (text: string) => string },
): string {
  const units = segments.encoding === "GSM-7" ? "characters" : "UCS-2 code units";
  const line = `${segments.segments} SMS (${segments.encoding}, ${segments.units} ${units})`;
  if (segments.max === undefined || segments.segments <= segments.max) return line;
  return `${line} ${style.yellow(`more than max_segments ${segments.max}: it would fail (too_long)`)}`;
}
