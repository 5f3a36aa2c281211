import type { CompiledCampaign } from "../campaigns/index.ts";
import type { Db, Prisma } from "../lib/db/index.ts";

/**
 * Records each loaded campaign and its version (by content hash) in the database, so Deliveries can point
 * at them and a changed file becomes a new version. A campaign paused or archived in the database stays so.
 * Returns the ids of campaigns whose status is active.
 */
export async function syncCampaigns(
  db: Db,
  campaigns: readonly CompiledCampaign[],
  sources: ReadonlyMap<string, string>,
): Promise<Set<string>> {
  const active = new Set<string>();
  for (const campaign of campaigns) {
    const row = await db.campaign.upsert({
      where: { id: campaign.id },
      create: { id: campaign.id, name: campaign.name, status: "active" },
      update: { name: campaign.name },
    });
    let version = await db.campaignVersion.findUnique({
      where: { campaignId_contentHash: { campaignId: campaign.id, contentHash: campaign.contentHash } },
    });
    if (!version) {
      const last = await db.campaignVersion.findFirst({
        where: { campaignId: campaign.id },
        orderBy: { version: "desc" },
      });
      version = await db.campaignVersion.create({
        data: {
          campaignId: campaign.id,
          version: (last?.version ?? 0) + 1,
          contentHash: campaign.contentHash,
          source: sources.get(campaign.id) ?? "",
          compiled: JSON.parse(JSON.stringify(campaign)) as Prisma.InputJsonValue,
        },
      });
    }
    if (row.currentVersionId !== version.id) {
      await db.campaign.update({ where: { id: campaign.id }, data: { currentVersionId: version.id } });
    }
    if (row.status === "active") active.add(campaign.id);
  }
  return active;
}
