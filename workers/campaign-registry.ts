import { type ConsentPolicy, DEFAULT_CONSENT_POLICY } from "../campaigns/consent-policy.ts";
import type { CompiledCampaign } from "../campaigns/index.ts";
import type { Db } from "../lib/db/index.ts";
import type { Logger } from "../lib/logger.ts";

/** A campaign as the engine runs it: its current compiled version and status, from the database. */
export interface LiveCampaign {
  campaign: CompiledCampaign;
  versionId: string;
  status: "draft" | "active" | "paused" | "archived";
}

/** The campaigns every worker process runs, read from the database and refreshed. */
export interface CampaignRegistry {
  /** Active campaigns. */
  active(): readonly CompiledCampaign[];
  /** Every campaign with a version, whatever its status. */
  all(): readonly CompiledCampaign[];
  /** Any known campaign, whatever its status. */
  get(id: string): LiveCampaign | undefined;
  /** Reads the database now. */
  refresh(): Promise<void>;
  close(): void;
}

/**
 * Keeps each process's view of the campaigns in step with the database, where `rapport campaigns ship`,
 * `pause`, `resume` and `archive` (and the console) change them: read at start and every `refreshMs`
 * (default 5 000), so a pause reaches every worker within seconds.
 */
export async function createCampaignRegistry(options: {
  db: Db;
  log: Logger;
  refreshMs?: number;
  /** The global marketing send window ("08:00-21:00"): quiet hours of marketing campaigns without their own. */
  sendWindow?: string;
  /** The installation's consent policy (campaigns/consent.yaml); without one, opt-in on every channel. */
  consent?: ConsentPolicy;
}): Promise<CampaignRegistry> {
  const windowQuiet = options.sendWindow
    ? { start: options.sendWindow.slice(6, 11), end: options.sendWindow.slice(0, 5) }
    : undefined;
  const consent = options.consent ?? DEFAULT_CONSENT_POLICY;
  const effective = (campaign: CompiledCampaign): CompiledCampaign =>
    windowQuiet && campaign.kind === "marketing" && !campaign.limits.quietHours
      ? { ...campaign, consent, limits: { ...campaign.limits, quietHours: windowQuiet } }
      : { ...campaign, consent };
  let byId = new Map<string, LiveCampaign>();
  const refresh = async () => {
    const rows = await options.db.campaign.findMany({ where: { currentVersionId: { not: null } } });
    const versions = await options.db.campaignVersion.findMany({
      where: { id: { in: rows.map((r) => r.currentVersionId!) } },
      select: { id: true, compiled: true },
    });
    const versionById = new Map(versions.map((v) => [v.id, v]));
    const next = new Map<string, LiveCampaign>();
    for (const row of rows) {
      const version = versionById.get(row.currentVersionId!);
      if (!version) continue;
      next.set(row.id, {
        campaign: effective(version.compiled as unknown as CompiledCampaign),
        versionId: version.id,
        status: row.status,
      });
    }
    byId = next;
  };
  await refresh();
  const timer = setInterval(() => {
    refresh().catch((error: unknown) => options.log.warn({ err: error }, "campaigns not refreshed"));
  }, options.refreshMs ?? 5_000);
  timer.unref();
  return {
    active: () => [...byId.values()].filter((c) => c.status === "active").map((c) => c.campaign),
    all: () => [...byId.values()].map((c) => c.campaign),
    get: (id) => byId.get(id),
    refresh,
    close: () => clearInterval(timer),
  };
}
