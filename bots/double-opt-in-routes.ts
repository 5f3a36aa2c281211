import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { preferredLocale, toLocale } from "../lib/channels.ts";
import type { Clock } from "../lib/clock.ts";
import type { Db } from "../lib/db/index.ts";
import type { Logger } from "../lib/logger.ts";
import { confirmDoubleOptIn, lookupConfirmation } from "./double-opt-in.ts";
import { CONFIRM_PATH, readConfirmToken } from "./double-opt-in-token.ts";
import { escapeHtml, renderBrandPage, TOKEN_PAGE_HEADERS } from "./email/unsubscribe-page.ts";
import { t } from "./i18n.ts";

/** Dependencies of {@link registerDoubleOptIn}. */
export interface DoubleOptInRoutesOptions {
  db: Db;
  /** HMAC key of the links: the one `requestDoubleOptIn` signed them with (the link secret). */
  secret: string;
  clock: Clock;
  log: Logger;
  /** Shown on the pages (BRAND_NAME). */
  brandName: string;
}

/** Which page to show. */
type PageKind = "confirm" | "done" | "stale" | "broken";

type TokenRequest = FastifyRequest<{ Params: { token: string } }>;

/**
 * `GET /confirm/:token` shows the double opt-in page in the customer's language with a "Yes, send me offers"
 * button, and changes nothing (mail scanners follow links). `POST /confirm/:token` (the button) grants email
 * consent (bots/double-opt-in.ts) and answers "you are subscribed"; repeating it is harmless. A tampered or
 * expired link gets a 400 page, an address that is no longer the customer's a 409 page, both in the
 * browser's language or the customer's.
 */
export async function registerDoubleOptIn(
  http: FastifyInstance,
  options: DoubleOptInRoutesOptions,
): Promise<void> {
  const log = options.log.child({ component: "double-opt-in" });
  const page = (reply: FastifyReply, status: number, kind: PageKind, locale: string, address = "") =>
    reply
      .status(status)
      .headers({ ...TOKEN_PAGE_HEADERS, "content-language": toLocale(locale) })
      .send(renderConfirmPage(kind, { locale, brand: options.brandName, address }));
  const read = (request: TokenRequest) =>
    readConfirmToken(options.secret, request.params.token, new Date(options.clock.now()));
  const browserLocale = (request: FastifyRequest) => preferredLocale(request.headers["accept-language"]);

  await http.register(async (scope) => {
    // the page's form posts form-encoded; the body says nothing we need, so any type is read and ignored
    scope.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));

    scope.get(`${CONFIRM_PATH}:token`, async (request: TokenRequest, reply) => {
      const opened = read(request);
      if (opened.kind !== "valid") return page(reply, 400, "broken", browserLocale(request));
      const found = await lookupConfirmation(options.db, options.secret, opened.token);
      if (found.kind === "unknown_customer") return page(reply, 400, "broken", browserLocale(request));
      if (found.kind === "stale") return page(reply, 409, "stale", found.locale);
      return page(reply, 200, found.kind, found.locale, found.address);
    });

    scope.post(`${CONFIRM_PATH}:token`, async (request: TokenRequest, reply) => {
      const opened = read(request);
      if (opened.kind !== "valid") {
        log.warn({ ip: request.ip, why: opened.kind }, "double opt-in refused: the link does not verify");
        return page(reply, 400, "broken", browserLocale(request));
      }
      const outcome = await confirmDoubleOptIn(
        options.db,
        options.secret,
        opened.token,
        { ip: request.ip, userAgent: request.headers["user-agent"] },
        new Date(options.clock.now()),
      );
      if (outcome.kind === "unknown_customer") return page(reply, 400, "broken", browserLocale(request));
      log.info({ customerId: outcome.customerId, outcome: outcome.kind }, "double opt-in confirmed");
      if (outcome.kind === "stale") return page(reply, 409, "stale", outcome.locale);
      return page(reply, 200, "done", outcome.locale, outcome.address);
    });
  });
}

/** The HTML of a double opt-in page, in the look of the unsubscribe pages. */
function renderConfirmPage(
  kind: PageKind,
  options: { locale: string; brand: string; address: string },
): string {
  const { locale, brand, address } = options;
  const vars = { brand, address };
  const paragraph = (text: string) => `<p>${escapeHtml(text)}</p>`;
  const [title, content] =
    kind === "confirm"
      ? [
          t(locale, "confirmSubscriptionTitle"),
          [
            `<h1>${escapeHtml(t(locale, "confirmSubscriptionQuestion", vars))}</h1>`,
            `<p class="note">${escapeHtml(t(locale, "confirmSubscriptionNote"))}</p>`,
            // no action: the form posts to the page's own address, whatever proxy path it was reached by
            `<form method="post"><button type="submit">${escapeHtml(t(locale, "confirmSubscriptionButton"))}</button></form>`,
          ],
        ]
      : kind === "done"
        ? [t(locale, "subscriptionConfirmedTitle"), [paragraph(t(locale, "subscriptionConfirmedBody", vars))]]
        : kind === "stale"
          ? [
              t(locale, "unsubscribeBrokenTitle"),
              [paragraph(t(locale, "confirmSubscriptionStaleBody", vars))],
            ]
          : [t(locale, "unsubscribeBrokenTitle"), [paragraph(t(locale, "confirmSubscriptionBrokenBody"))]];
  const heading = kind === "confirm" ? [] : [`<h1>${escapeHtml(title)}</h1>`];
  return renderBrandPage({ locale, brand, title, content: [...heading, ...content] });
}
