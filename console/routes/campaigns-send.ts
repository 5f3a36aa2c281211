import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Locale } from "../../lib/channels.ts";
import { eventStreams } from "../../lib/sse.ts";
import { requireRole } from "../auth/guard.ts";
import { type ProgressView, progressView, sendProgress, sendStart } from "../campaigns/progress.ts";
import { currentCompiled } from "../campaigns/summary.ts";
import { sendTestMessage, TEST_WINDOW_MS, TESTS_PER_WINDOW } from "../campaigns/test-send.ts";
import type { ConsoleDeps } from "../deps.ts";
import { formatRelative } from "../format.ts";
import { sendProblem } from "../problems.ts";
import { consoleViews } from "../views/render.ts";

/** How often a watched campaign's progress is counted again, in ms (once for all its open pages). */
export const PROGRESS_POLL_MS = 2_000;

type Params = { Params: { id: string } };

const TestBody = z.object({ customer: z.uuid() });

/** A campaign's progress as the page shows it, or undefined when there is no such campaign or no send yet. */
export type ProgressReader = (
  campaignId: string,
  locale: Locale,
  timeZone: string,
) => Promise<(ProgressView & { html: string }) | null | undefined>;

/**
 * The progress of a campaign's latest send, rendered: the view's data and its HTML (campaigns/progress.hbs).
 * Undefined: no such campaign; null: a schedule that has not sent yet.
 */
export function progressReader(deps: ConsoleDeps): ProgressReader {
  return async (campaignId, locale, timeZone) => {
    const campaign = await deps.db.campaign.findUnique({ where: { id: campaignId }, select: { id: true } });
    if (!campaign) return undefined;
    const now = new Date(deps.clock.now());
    const compiled = await currentCompiled(deps.db, campaignId);
    const start = await sendStart(deps.db, campaignId, compiled?.trigger, now);
    if (!start) return null;
    const view = progressView(
      campaignId,
      await sendProgress(deps.db, campaignId, start, now),
      locale,
      timeZone,
      now,
    );
    const html = consoleViews().render("campaigns/progress", view, {
      locale,
      timezone: timeZone,
      now: now.getTime(),
      csrf: "",
      brand: deps.brandName,
    });
    return { ...view, html };
  };
}

/**
 * The live side of the campaign page: `GET /console/campaigns/:id/progress` (the latest send's counts per
 * channel and the progress HTML, as JSON), `GET /console/campaigns/:id/progress/events` (the same as
 * Server-Sent Events, `event: progress` whenever it changes, through the console's own stream helper),
 * and `POST /console/campaigns/:id/test` ("Send me a test", for admins and marketers: CSRF-checked,
 * {@link TESTS_PER_WINDOW} per staff member in ten minutes, audited as `campaign.test_send`), which answers
 * with the preview page of the customer and what became of the test.
 */
export function registerCampaignSend(
  scope: FastifyInstance,
  deps: ConsoleDeps,
  options: { pollMs?: number; heartbeatMs?: number } = {},
): void {
  const readers = { preHandler: requireRole("admin", "marketer", "agent") };
  const operators = { preHandler: requireRole("admin", "marketer") };
  const read = progressReader(deps);
  const where = (request: FastifyRequest) =>
    [request.consoleView.locale, request.consoleView.timezone] as const;

  scope.get<Params>("/campaigns/:id/progress", readers, async (request, reply) => {
    const progress = await read(request.params.id, ...where(request));
    if (progress === undefined) return sendProblem(reply, { kind: "not_found" });
    return reply
      .header("cache-control", "no-store")
      .send(progress ? payloadOf(progress) : { running: false });
  });

  // one count per campaign, language and time zone and interval, however many pages watch it
  type Progress = Awaited<ReturnType<ProgressReader>>;
  const watches = new Map<string, Set<(progress: Progress) => void>>();
  const watch = (key: string, count: () => Promise<Progress>, listener: (progress: Progress) => void) => {
    let listeners = watches.get(key);
    if (!listeners) {
      const set = new Set<(progress: Progress) => void>();
      watches.set(key, set);
      listeners = set;
      const tick = async () => {
        if (set.size === 0) {
          watches.delete(key);
          return;
        }
        const started = performance.now();
        const progress = await count().catch((err: unknown) => {
          deps.log.warn({ err, key }, "campaign progress not read");
          return undefined;
        });
        for (const l of set) l(progress);
        // a count that takes long (a send of 100 000 on a busy database) is repeated less often: at most a
        // tenth of the time goes to counting
        const took = performance.now() - started;
        setTimeout(tick, Math.max(options.pollMs ?? PROGRESS_POLL_MS, took * 10)).unref();
      };
      setTimeout(tick, options.pollMs ?? PROGRESS_POLL_MS).unref();
    }
    listeners.add(listener);
    return () => listeners.delete(listener);
  };

  const streams = eventStreams(scope, options);
  scope.get<Params>("/campaigns/:id/progress/events", readers, async (request, reply) => {
    const id = request.params.id;
    const [locale, timeZone] = where(request);
    const first = await read(id, locale, timeZone);
    if (first === undefined) return sendProblem(reply, { kind: "not_found" });
    let last = "";
    let stop = () => {};
    const stream = streams.open(reply, () => stop());
    const send = (progress: typeof first) => {
      const payload = progress ? payloadOf(progress) : { running: false };
      const data = JSON.stringify(payload);
      if (data !== last) stream.send("progress", payload);
      last = data;
    };
    send(first);
    stop = watch(
      `${id}|${locale}|${timeZone}`,
      () => read(id, locale, timeZone),
      (progress) => {
        if (progress !== undefined) send(progress);
      },
    );
  });

  const limit = scope.createRateLimit({
    max: TESTS_PER_WINDOW,
    timeWindow: TEST_WINDOW_MS,
    keyGenerator: (request) => `campaign-test:${request.staff?.id ?? request.ip}`,
  });

  scope.post<Params>("/campaigns/:id/test", operators, async (request, reply) => {
    const staff = request.staff!;
    const body = TestBody.safeParse(request.body ?? {});
    if (!body.success) return sendProblem(reply, { kind: "bad_request" });
    const back = (outcome: Record<string, string>) =>
      reply.redirect(
        `/console/campaigns/${encodeURIComponent(request.params.id)}/preview?${new URLSearchParams({
          customer: body.data.customer,
          ...outcome,
        })}#test`,
        303,
      );
    const verdict = await limit(request);
    if (!verdict.isAllowed && verdict.isExceeded) {
      const when = formatRelative(
        deps.clock.now() + verdict.ttlInSeconds * 1000,
        deps.clock.now(),
        request.consoleView.locale,
      );
      return back({ test: "throttled", when });
    }
    const result = await sendTestMessage(deps, request.params.id, body.data.customer, staff);
    if (result.kind === "sent")
      return back({ test: "sent", ...(result.textOnly && { textOnly: result.textOnly }) });
    return back({ test: result.kind });
  });
}

/** What a progress update carries: the counts (for scripts and tests) and the section's HTML. */
function payloadOf(progress: ProgressView & { html: string }) {
  return { ...progress.counts, html: progress.html };
}
