import { existsSync } from "node:fs";
import path from "node:path";
import type { CompiledCampaign, Segments } from "../campaigns/index.ts";
import { didYouMean } from "../campaigns/suggest.ts";
import type { Db } from "../lib/db/index.ts";
import { type CampaignIssue, formatPosition } from "../lib/errors.ts";
import { CliError, type CommandContext } from "./campaigns-context.ts";
import {
  type CheckResult,
  campaignFileIds,
  campaignsDir,
  checkCampaignFiles,
  displayPath,
  folderSegments,
  templateFolder,
} from "./campaigns-files.ts";

/** A campaign a command works on, from a file (the working copy) or the database (what was shipped). */
export interface ResolvedCampaign {
  campaign: CompiledCampaign;
  /** Where it came from, for people: "campaigns/win-back.yaml" or "shipped version 3". */
  origin: string;
  /** The named segments its audience may use. */
  segments: Segments;
}

const PATH_LIKE = /[\\/]|\.ya?ml$/;

/**
 * The campaign `arg` names: a campaign file's path, the id of a file in the campaigns folder (the working
 * copy wins: you preview and dry-run what you are about to ship), else the id of a shipped campaign.
 * @throws CliError with every problem of the file, or naming the known ids when there is no such campaign.
 */
export async function resolveCampaign(ctx: CommandContext, arg: string, db?: Db): Promise<ResolvedCampaign> {
  const dir = campaignsDir(ctx.config);
  const file = PATH_LIKE.test(arg) ? path.resolve(arg) : (await campaignFileIds(dir)).get(arg);
  if (file !== undefined) {
    if (!existsSync(file)) throw new CliError(`${arg}: no such file`);
    const checked = await checkCampaignFiles([file], {
      templates: templateFolder(ctx.config),
      baseCurrency: ctx.config.RAPPORT_BASE_CURRENCY,
    });
    const entry = checked.files.find((f) => f.path === file)!;
    if (!entry.campaign) throw new CliError(refusal(entry.issues, "fix it first"));
    return {
      campaign: entry.campaign,
      origin: entry.file,
      segments: checked.segments.get(path.dirname(file))!,
    };
  }
  const row = db
    ? await db.campaign.findUnique({ where: { id: arg }, select: { currentVersionId: true } })
    : null;
  const version = row?.currentVersionId
    ? await db!.campaignVersion.findUnique({ where: { id: row.currentVersionId } })
    : null;
  if (version) {
    return {
      campaign: version.compiled as unknown as CompiledCampaign,
      origin: `shipped version ${version.version}`,
      segments: await folderSegments(dir, ctx.config.RAPPORT_BASE_CURRENCY),
    };
  }
  throw new CliError(unknownCampaign(arg, await knownIds(ctx, db)));
}

/**
 * The campaign files `args` name (paths, or ids of files in the campaigns folder), checked as `validate`
 * does. @throws CliError for an argument that names no file.
 */
export async function checkArgs(ctx: CommandContext, args: readonly string[]): Promise<CheckResult> {
  const ids = await campaignFileIds(campaignsDir(ctx.config));
  const files = args.map((arg) => {
    const file = PATH_LIKE.test(arg) ? path.resolve(arg) : ids.get(arg);
    if (file === undefined) throw new CliError(unknownCampaign(arg, [...ids.keys()]));
    if (!existsSync(file)) throw new CliError(`${arg}: no such file`);
    return file;
  });
  return checkCampaignFiles([...new Set(files)], {
    templates: templateFolder(ctx.config),
    baseCurrency: ctx.config.RAPPORT_BASE_CURRENCY,
  });
}

/** Every campaign id a command could mean: the files' and the database's. */
export async function knownIds(ctx: CommandContext, db?: Db): Promise<string[]> {
  const files = [...(await campaignFileIds(campaignsDir(ctx.config))).keys()];
  const shipped = db ? (await db.campaign.findMany({ select: { id: true } })).map((c) => c.id) : [];
  return [...new Set([...files, ...shipped])].sort();
}

/**
 * Why ids do not name shipped campaigns, one line each: a file of the campaigns folder not shipped yet (and
 * the command that ships it), or an unknown id with the closest shipped one.
 */
export async function notShipped(ctx: CommandContext, ids: readonly string[], shipped: readonly string[]) {
  const files = await campaignFileIds(campaignsDir(ctx.config));
  return ids
    .map((id) => {
      const file = files.get(id);
      return file
        ? `campaign '${id}' is not shipped yet: run \`rapport campaigns ship ${displayPath(file)}\``
        : unknownCampaign(id, shipped);
    })
    .join("\n");
}

/** "unknown campaign 'promo-vipp' — did you mean 'promo-vip'? Known: promo-vip, thank-you". */
export function unknownCampaign(id: string, known: readonly string[]): string {
  const list = known.length > 0 ? `known: ${known.join(", ")}` : "there are none yet";
  return `unknown campaign '${id}'${didYouMean(id, known)} (${list})`;
}

/** The problems of files a command refuses to work on, one `file:line:col: message` a line, and why. */
export function refusal(issues: readonly CampaignIssue[], then: string): string {
  const lines = issues.map((i) => `${formatPosition(i)}: ${i.message}`);
  return `${lines.join("\n")}\n${issues.length === 1 ? "1 error" : `${issues.length} errors`}: ${then}`;
}
