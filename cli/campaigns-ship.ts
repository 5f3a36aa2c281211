import { type CampaignStatus, setCampaignStatus, shipCampaign } from "../workers/index.ts";
import { CliError, type DbCommandContext } from "./campaigns-context.ts";
import { checkArgs, notShipped, refusal } from "./campaigns-resolve.ts";
import { createProgress } from "./progress.ts";

/** From this many files on, ship shows its progress. */
const MANY_FILES = 5;

/**
 * `rapport campaigns ship <file…>`: compiles the files as `validate` does and, only when all are clean, stores
 * each as its campaign's current version (a file shipped twice is one version) and makes it active.
 * @returns the exit code: 1 (nothing shipped) when any file has a problem.
 */
export async function shipCommand(ctx: DbCommandContext, args: readonly string[]): Promise<number> {
  const { db, out } = ctx;
  const checked = await checkArgs(ctx, args);
  if (checked.issues.length > 0) throw new CliError(refusal(checked.issues, "nothing shipped"));
  const files = checked.files.filter((f) => f.kind === "campaign" && f.campaign);
  const before = new Map(
    (
      await db.campaign.findMany({
        where: { id: { in: files.map((f) => f.campaign!.id) } },
        select: { id: true, status: true },
      })
    ).map((c) => [c.id, c.status as CampaignStatus]),
  );
  const progress = files.length >= MANY_FILES ? createProgress({ stream: out.stderr }) : undefined;
  progress?.start("shipping", files.length);
  const lines: string[] = [];
  for (const [i, file] of files.entries()) {
    const campaign = file.campaign!;
    const shipped = await shipCampaign(db, campaign, file.source!, { activate: true, actor: ctx.actor });
    const was = before.get(campaign.id);
    const change = was && was !== shipped.status ? ` (was ${was})` : "";
    lines.push(
      shipped.created
        ? `${campaign.id}: ${out.style.green(`version ${shipped.version} shipped`)} and ${shipped.status}${change}`
        : `${campaign.id}: unchanged, version ${shipped.version}, ${shipped.status}${change}`,
    );
    progress?.update(i + 1, campaign.id);
  }
  progress?.finish();
  out.stdout.write(lines.map((l) => `${l}\n`).join(""));
  return 0;
}

/** What a status change means for messages, for the operator. */
const EFFECT: Record<"active" | "paused" | "archived", string> = {
  active: "planned messages go out again, and new occurrences are planned",
  paused: "planned messages wait in their queues and go out on resume; nothing new is planned",
  archived: "planned messages are skipped and nothing new is planned; results are kept",
};

/**
 * `rapport campaigns pause|resume|archive <campaign…>`: changes shipped campaigns' status (with an audit row
 * each). Every id is checked first: one unknown id changes nothing.
 * @returns the exit code.
 */
export async function setStatusCommand(
  ctx: DbCommandContext,
  ids: readonly string[],
  status: "active" | "paused" | "archived",
): Promise<number> {
  const { db, out } = ctx;
  const shipped = (await db.campaign.findMany({ select: { id: true } })).map((c) => c.id).sort();
  const unknown = ids.filter((id) => !shipped.includes(id));
  if (unknown.length > 0) throw new CliError(await notShipped(ctx, unknown, shipped));
  for (const id of new Set(ids)) {
    const previous = await setCampaignStatus(db, id, status, ctx.actor);
    out.stdout.write(
      previous === status
        ? `${id}: already ${status}\n`
        : `${id}: ${previous} → ${out.style.bold(status)} (${EFFECT[status]})\n`,
    );
  }
  return 0;
}
