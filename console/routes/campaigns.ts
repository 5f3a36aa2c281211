import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { requireRole } from "../auth/guard.ts";
import { campaignDetail, campaignView } from "../campaigns/detail.ts";
import { listCampaigns } from "../campaigns/list.ts";
import { variantChart } from "../campaigns/progress.ts";
import { changeCampaignStatus, type StatusAction } from "../campaigns/status.ts";
import { campaignSummary, currentCompiled, summaryFigures } from "../campaigns/summary.ts";
import { createTtlCache, type TtlCache } from "../dashboard/cache.ts";
import type { ConsoleDeps } from "../deps.ts";
import { t } from "../i18n.ts";
import { sendProblem } from "../problems.ts";
import { assetUrl } from "../static.ts";
import { render } from "../views/render.ts";
import { registerCampaignPreview } from "./campaigns-preview.ts";
import { type ProgressReader, progressReader, registerCampaignSend } from "./campaigns-send.ts";

const DetailQuery = z.object({ changed: z.enum(["paused", "active"]).optional().catch(undefined) });

type Params = { Params: { id: string } };

/**
 * The campaigns pages. Reading (the list, a campaign's results) is open to admins, marketers and agents —
 * agents see how the messages their customers mention did, read-only. Pausing, resuming and previewing are
 * for admins and marketers. Editing stays in the YAML files in git (`rapport campaigns ship`), as the pages say.
 *
 * `GET /console/campaigns`, `GET /console/campaigns/:id`, `POST /console/campaigns/:id/pause|resume`
 * (CSRF-checked, audited by `setCampaignStatus` as `campaign.pause` / `campaign.resume`), and the previews
 * in campaigns-preview.ts.
 */
export function registerCampaigns(scope: FastifyInstance, deps: ConsoleDeps): void {
  const readers = { preHandler: requireRole("admin", "marketer", "agent") };
  // the figures read every Delivery of a campaign: reused for a minute (statuses are always fresh)
  const cache = createTtlCache(deps.clock);
  const operators = { preHandler: requireRole("admin", "marketer") };
  const progress = progressReader(deps);

  scope.get("/campaigns", readers, async (request, reply) => {
    const campaigns = await listCampaigns(deps.db, new Date(deps.clock.now()), cache);
    return render(
      reply,
      "campaigns/index",
      { campaigns, canOperate: request.staff!.role !== "agent" },
      { title: "campaigns.title" },
    );
  });

  scope.get<Params>("/campaigns/:id", readers, async (request, reply) => {
    const { changed } = DetailQuery.parse(request.query ?? {});
    const locale = request.consoleView.locale;
    const notice = changed
      ? t(locale, changed === "paused" ? "campaigns.pausedNotice" : "campaigns.resumedNotice")
      : undefined;
    return showCampaign(reply, deps, cache, progress, request.params.id, { notice });
  });

  for (const action of ["pause", "resume"] as const satisfies StatusAction[]) {
    scope.post<Params>(`/campaigns/:id/${action}`, operators, async (request, reply) => {
      const staff = request.staff!;
      const result = await changeCampaignStatus(deps.db, request.params.id, action, {
        name: `console:${staff.email}`,
        staffUserId: staff.id,
      });
      const back = `/console/campaigns/${encodeURIComponent(request.params.id)}`;
      switch (result.kind) {
        case "changed":
          return reply.redirect(`${back}?changed=${result.to}`, 303);
        case "not_found":
          return sendProblem(reply, { kind: "not_found" });
        case "not_allowed": {
          const locale = request.consoleView.locale;
          const status = t(locale, `campaigns.status.${result.status as "draft"}`);
          const alert = t(locale, `campaigns.cannot.${action}`, { status });
          return showCampaign(reply, deps, cache, progress, request.params.id, {
            alert,
            status: 409,
          });
        }
      }
    });
  }

  registerCampaignPreview(scope, deps);
  registerCampaignSend(scope, deps);
}

async function showCampaign(
  reply: FastifyReply,
  deps: ConsoleDeps,
  cache: TtlCache,
  progress: ProgressReader,
  id: string,
  options: { notice?: string; alert?: string; status?: number },
): Promise<FastifyReply> {
  const { locale, timezone } = reply.request.consoleView;
  const [detail, compiled, send] = await Promise.all([
    campaignDetail(deps.db, id, cache),
    currentCompiled(deps.db, id),
    progress(id, locale, timezone),
  ]);
  if (!detail) return sendProblem(reply, { kind: "not_found" });
  const now = new Date(deps.clock.now());
  const summary = compiled
    ? campaignSummary(
        compiled,
        detail.report.status,
        await summaryFigures(deps.db, compiled, deps.audiences, now, cache),
        now,
        locale,
      )
    : undefined;
  return render(
    reply,
    "campaigns/show",
    {
      ...campaignView(detail, locale),
      summary,
      send: send ?? undefined,
      sendNotYet: send === null,
      sendAssets: { js: assetUrl("campaign-send.js"), css: assetUrl("campaign-send.css") },
      variantChart: variantChart(detail.report.id, detail.report.rows, locale),
      canOperate: reply.request.staff!.role !== "agent",
      canPreview: Boolean(deps.templates && deps.linkSecret),
      notice: options.notice,
      alert: options.alert,
    },
    { title: "campaigns.detailTitle", status: options.status },
  );
}
