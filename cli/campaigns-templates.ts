import type { CompiledCampaign } from "../campaigns/index.ts";
import { didYouMean } from "../campaigns/suggest.ts";
import { SENDING_CHANNEL_NAMES, type SendingChannelName } from "../lib/channels.ts";
import type { CampaignIssue } from "../lib/errors.ts";
import type { TemplateStore } from "../templates/index.ts";
import { yamlPositions } from "./campaigns-positions.ts";

/** The templates a campaign check looks in. */
export interface TemplateFolder {
  store: TemplateStore;
  /** The folder as messages should name it, e.g. "templates". */
  display: string;
  /** The folder's path, where each template's sample.yaml is read from (validate renders with it). */
  dir?: string;
}

/**
 * Problems with the templates a compiled campaign names: a template folder that does not exist, or one
 * without a file for a channel the campaign lists (`preferred` may be any channel). Each is reported at its
 * `template:` line (the message's or a variant's), or at 1:1 when that cannot be found.
 */
export function templateIssues(
  campaign: CompiledCampaign,
  source: string,
  file: string,
  templates: TemplateFolder,
): CampaignIssue[] {
  const uses: Array<{ template: string; path: (string | number)[] }> = [
    { template: campaign.message.template, path: ["message", "template"] },
    ...(campaign.variants ?? []).flatMap((variant, i) =>
      variant.template ? [{ template: variant.template, path: ["variants", i, "template"] }] : [],
    ),
  ];
  const listed = new Set(campaign.channels.filter((c): c is SendingChannelName => c !== "preferred"));
  const channels = channelsOf(campaign);
  const names = templates.store.names();
  const issues: CampaignIssue[] = [];
  const at = yamlPositions(source);
  for (const use of uses) {
    const problem = names.includes(use.template)
      ? missingChannels(use.template, channels, listed, templates)
      : `no template '${use.template}' in ${templates.display}/${didYouMean(use.template, names, `: create the folder ${templates.display}/${use.template}/ with email.en.hbs, chat.en.hbs or <channel>.en.hbs`)}`;
    if (!problem) continue;
    issues.push({ file, ...at(use.path), message: `${keyPath(use.path)}: ${problem}` });
  }
  return issues;
}

/** The channels a campaign's messages may go out on: every sending channel when it lists `preferred`. */
export function channelsOf(campaign: { channels: readonly string[] }): SendingChannelName[] {
  return campaign.channels.includes("preferred")
    ? [...SENDING_CHANNEL_NAMES]
    : campaign.channels.filter((c): c is SendingChannelName => c !== "preferred");
}

/** What a template folder lacks for the channels, or undefined when it has them all. */
function missingChannels(
  name: string,
  channels: readonly SendingChannelName[],
  listed: ReadonlySet<SendingChannelName>,
  templates: TemplateFolder,
): string | undefined {
  const missing = channels.filter((channel) => !templates.store.has(name, channel));
  if (missing.length === 0) return undefined;
  const files = [
    ...(missing.includes("email") ? ["email.en.hbs"] : []),
    ...(missing.some((c) => c !== "email") ? ["chat.en.hbs"] : []),
  ];
  const viaPreferred = missing.filter((c) => !listed.has(c));
  const why = viaPreferred.length
    ? ` (channels lists preferred, which can be ${viaPreferred.join(", ")})`
    : "";
  return `template '${name}' has no file for ${missing.join(", ")}${why}: add ${files.map((f) => `${templates.display}/${name}/${f}`).join(" and ")}`;
}

/** A path as the compiler's messages name keys: `message.template`, `variants[1].template`. */
function keyPath(path: readonly (string | number)[]): string {
  return path.map((key, i) => (typeof key === "number" ? `[${key}]` : i > 0 ? `.${key}` : key)).join("");
}
