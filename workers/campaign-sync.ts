import type { CompiledCampaign } from "../campaigns/index.ts";
import type { Db, Prisma } from "../lib/db/index.ts";

/** A campaign's lifecycle states. */
export type CampaignStatus = "draft" | "active" | "paused" | "archived";

/** What shipping did: the version now current, and whether it is new. */
export interface Shipped {
  campaignId: string;
  version: number;
  created: boolean;
  status: CampaignStatus;
}

/**
 * Stores a compiled campaign as a CampaignVersion (by content hash: the same file twice is one version) and
 * makes it the campaign's current version. With `activate`, the campaign becomes active (`rapport campaigns
 * ship`); without it, a paused or archived campaign stays so (what `rapport start` does with the files).
 * Deliveries are keyed by (campaign, step, customer, occurrence), not version: editing a live campaign never
 * sends again to people who already got it.
 */
export async function shipCampaign(
  db: Db,
  campaign: CompiledCampaign,
  source: string,
  options: { activate: boolean; actor?: string },
): Promise<Shipped> {
  return db.$transaction(async (tx) => {
    const row = await tx.campaign.upsert({
      where: { id: campaign.id },
      create: { id: campaign.id, name: campaign.name, status: "active" },
      update: { name: campaign.name, ...(options.activate && { status: "active" }) },
    });
    let version = await tx.campaignVersion.findUnique({
      where: { campaignId_contentHash: { campaignId: campaign.id, contentHash: campaign.contentHash } },
    });
    const created = !version;
    if (!version) {
      const last = await tx.campaignVersion.findFirst({
        where: { campaignId: campaign.id },
        orderBy: { version: "desc" },
      });
      version = await tx.campaignVersion.create({
        data: {
          campaignId: campaign.id,
          version: (last?.version ?? 0) + 1,
          contentHash: campaign.contentHash,
          source,
          compiled: JSON.parse(JSON.stringify(campaign)) as Prisma.InputJsonValue,
        },
      });
    }
    if (row.currentVersionId !== version.id) {
      await tx.campaign.update({ where: { id: campaign.id }, data: { currentVersionId: version.id } });
    }
    if (created || options.activate) {
      await tx.auditLog.create({
        data: {
          actorType: options.actor ? "staff" : "system",
          action: "campaign.ship",
          targetType: "campaign",
          targetId: campaign.id,
          data: { version: version.version, contentHash: campaign.contentHash, actor: options.actor ?? null },
        },
      });
    }
    const status = (options.activate ? "active" : row.status) as CampaignStatus;
    return { campaignId: campaign.id, version: version.version, created, status };
  });
}

/**
 * Records each loaded campaign file as its current version, leaving statuses alone (a campaign paused in the
 * database stays paused when its file changes). Returns the ids of campaigns whose status is active.
 */
export async function syncCampaigns(
  db: Db,
  campaigns: readonly CompiledCampaign[],
  sources: ReadonlyMap<string, string>,
): Promise<Set<string>> {
  const active = new Set<string>();
  for (const campaign of campaigns) {
    const shipped = await shipCampaign(db, campaign, sources.get(campaign.id) ?? "", { activate: false });
    if (shipped.status === "active") active.add(campaign.id);
  }
  return active;
}

/**
 * Pauses, resumes or archives a campaign: paused messages wait in their queues and go out on resume;
 * archived ones are skipped. Every worker sees the change within its registry's refresh. Audited with `actor`
 * (who, as text: "cli:ana", "console:ana@example.com") and, from the console, the staff account's id.
 * @returns the previous status, or undefined when there is no such campaign.
 */
export async function setCampaignStatus(
  db: Db,
  campaignId: string,
  status: "active" | "paused" | "archived",
  actor?: string,
  staffUserId?: string,
): Promise<CampaignStatus | undefined> {
  const row = await db.campaign.findUnique({ where: { id: campaignId } });
  if (!row) return undefined;
  if (row.status !== status) {
    await db.$transaction([
      db.campaign.update({ where: { id: campaignId }, data: { status } }),
      db.auditLog.create({
        data: {
          actorType: actor ? "staff" : "system",
          staffUserId: staffUserId ?? null,
          action: `campaign.${status === "active" ? "resume" : status === "paused" ? "pause" : "archive"}`,
          targetType: "campaign",
          targetId: campaignId,
          data: { from: row.status, to: status, actor: actor ?? null },
        },
      }),
    ]);
  }
  return row.status as CampaignStatus;
}
