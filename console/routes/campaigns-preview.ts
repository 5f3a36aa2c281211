import type { FastifyInstance, onSendHookHandler } from "fastify";
import { z } from "zod";
import { type Locale, SendingChannelName } from "../../lib/channels.ts";
import type { RenderErrorResult } from "../../workers/index.ts";
import { requireRole } from "../auth/guard.ts";
import { previewForCustomer } from "../campaigns/preview.ts";
import { TEST_OUTCOMES, testOutcomeText } from "../campaigns/test-send.ts";
import { searchCustomers } from "../customers/search.ts";
import type { ConsoleDeps } from "../deps.ts";
import { t } from "../i18n.ts";
import { sendProblem } from "../problems.ts";
import { render } from "../views/render.ts";

const PreviewQuery = z.object({
  q: z.string().max(200).optional().catch(undefined),
  customer: z.string().max(64).optional().catch(undefined),
  channel: SendingChannelName.optional().catch(undefined),
  /** What became of "Send me a test" (console/routes/campaigns-send.ts), and when to try again. */
  test: z.enum(TEST_OUTCOMES).optional().catch(undefined),
  textOnly: SendingChannelName.optional().catch(undefined),
  when: z.string().max(60).optional().catch(undefined),
});

/**
 * What a previewed email's HTML may do inside its frame: show its own inline styles and remote images, and
 * nothing else — no scripts, forms, plugins or navigation of the console (`sandbox` without any allowance,
 * on top of the iframe's own `sandbox`). Only console pages may frame it.
 */
export const PREVIEW_HTML_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; font-src https: data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox";

/** Replaces the console's page headers (which forbid framing) with the preview's own, after them. */
const previewHeaders: onSendHookHandler = async (_request, reply, payload) => {
  void reply.header("content-security-policy", PREVIEW_HTML_CSP).header("x-frame-options", "SAMEORIGIN");
  return payload;
};

type Params = { Params: { id: string } };

/**
 * Message previews for admins and marketers: `GET /console/campaigns/:id/preview` finds a customer (search
 * box) and shows their subject and text, with the email's HTML in a sandboxed iframe served by
 * `GET /console/campaigns/:id/preview/html` under {@link PREVIEW_HTML_CSP}.
 */
export function registerCampaignPreview(scope: FastifyInstance, deps: ConsoleDeps): void {
  const operators = { preHandler: requireRole("admin", "marketer") };

  scope.get<Params>("/campaigns/:id/preview", operators, async (request, reply) => {
    const campaign = await deps.db.campaign.findUnique({
      where: { id: request.params.id },
      select: { id: true, name: true, status: true },
    });
    if (!campaign) return sendProblem(reply, { kind: "not_found" });
    const query = PreviewQuery.parse(request.query ?? {});
    const locale = request.consoleView.locale;
    const candidates = query.q
      ? (await searchCustomers(deps.db, { query: query.q, limit: 10 })).rows
      : undefined;
    const result = query.customer
      ? await previewForCustomer(deps, campaign.id, query.customer, query.channel)
      : undefined;
    const problem =
      result?.kind === "unavailable"
        ? t(locale, "campaigns.previewUnavailable")
        : result?.kind === "unknown_campaign"
          ? t(locale, "campaigns.previewNotShipped")
          : result?.kind === "unknown_customer"
            ? t(locale, "campaigns.previewNoCustomer")
            : undefined;
    const renderError = result?.kind === "render_error" ? renderErrorView(result, locale) : undefined;
    const preview = result?.kind === "preview" ? result : undefined;
    const params = new URLSearchParams({ customer: query.customer ?? "" });
    if (query.channel) params.set("channel", query.channel);
    return render(
      reply,
      "campaigns/preview",
      {
        campaign,
        query: query.q ?? "",
        customerId: query.customer ?? "",
        candidates,
        preview,
        who: preview ? (preview.customer.name ?? preview.customer.email ?? preview.customer.id) : undefined,
        problem,
        renderError,
        htmlUrl: preview?.html
          ? `/console/campaigns/${encodeURIComponent(campaign.id)}/preview/html?${params}`
          : undefined,
        channels: SendingChannelName.options.map((name) => ({ name, selected: name === query.channel })),
        test: {
          available: Boolean(deps.sendEmail),
          email: request.staff!.email,
          ...(query.test && testOutcomeText(query.test, locale, { ...query, email: request.staff!.email })),
        },
      },
      { title: "campaigns.previewTitle", status: statusOf(result?.kind) },
    );
  });

  scope.get<Params>(
    "/campaigns/:id/preview/html",
    { ...operators, onSend: previewHeaders },
    async (request, reply) => {
      const query = PreviewQuery.parse(request.query ?? {});
      const result = query.customer
        ? await previewForCustomer(deps, request.params.id, query.customer, query.channel)
        : undefined;
      if (result?.kind !== "preview" || result.html === undefined)
        return sendProblem(reply, { kind: "not_found" });
      return reply
        .header("content-type", "text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .send(result.html);
    },
  );
}

/** A render error as the marketer reads it (what to do about it), with the technical message kept for a fold. */
function renderErrorView(error: RenderErrorResult, locale: Locale): { text: string; detail: string } {
  const subject = error.subject ?? "";
  const text =
    error.cause === "no_event"
      ? subject === "purchase"
        ? t(locale, "campaigns.previewError.no_order")
        : t(locale, "campaigns.previewError.no_event", { event: subject })
      : error.cause === "missing_field"
        ? subject
          ? t(locale, "campaigns.previewError.missing_field", { field: subject })
          : t(locale, "campaigns.previewError.missing_data")
        : error.cause === "no_template"
          ? t(locale, "campaigns.previewError.no_template", {
              channel: t(locale, `campaigns.summary.channel.${subject as SendingChannelName}`),
            })
          : t(locale, "campaigns.previewError.other");
  return { text, detail: error.message };
}

function statusOf(kind: string | undefined): number {
  if (kind === "unavailable") return 503;
  if (kind === "unknown_campaign" || kind === "unknown_customer") return 404;
  return 200;
}
