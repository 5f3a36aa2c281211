import type { Db } from "../../lib/db/index.ts";
import { setCampaignStatus } from "../../workers/index.ts";

/** What staff can do to a running campaign from the console (editing stays in YAML, in git). */
export type StatusAction = "pause" | "resume";

/** What a pause or resume did, or why not. */
export type StatusChange =
  | { kind: "changed"; from: string; to: "active" | "paused" }
  | { kind: "not_found" }
  /** Only an active campaign can be paused and only a paused one resumed (not a draft or archived one). */
  | { kind: "not_allowed"; status: string };

const FROM: Record<StatusAction, string> = { pause: "active", resume: "paused" };

/**
 * Pauses an active campaign or resumes a paused one through `setCampaignStatus` (workers/campaign-sync.ts),
 * which audits it as `campaign.pause` / `campaign.resume` with `actor` ("console:<staff email>") and the staff
 * account's id. Paused
 * messages wait in their queues and go out on resume.
 */
export async function changeCampaignStatus(
  db: Db,
  campaignId: string,
  action: StatusAction,
  actor: { name: string; staffUserId: string },
): Promise<StatusChange> {
  const row = await db.campaign.findUnique({ where: { id: campaignId }, select: { status: true } });
  if (!row) return { kind: "not_found" };
  if (row.status !== FROM[action]) return { kind: "not_allowed", status: row.status };
  const to = action === "pause" ? "paused" : "active";
  const from = await setCampaignStatus(db, campaignId, to, actor.name, actor.staffUserId);
  if (from === undefined) return { kind: "not_found" };
  return { kind: "changed", from, to };
}
