import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { preferredLocale, type SendingChannelName, toLocale } from "../../lib/channels.ts";
import type { Clock } from "../../lib/clock.ts";
import type { Db } from "../../lib/db/index.ts";
import type { Logger } from "../../lib/logger.ts";
import { UNSUBSCRIBE_PATH, verifyUnsubscribeToken } from "./unsubscribe.ts";
import { renderUnsubscribePage, TOKEN_PAGE_HEADERS, type UnsubscribePageKind } from "./unsubscribe-page.ts";
import { lookupUnsubscribe, recordUnsubscribe } from "./unsubscribe-record.ts";

/** Dependencies of {@link registerUnsubscribe}. */
export interface UnsubscribeRoutesOptions {
  db: Db;
  /**
   * HMAC key of the links, the same one {@link unsubscribeToken} signed them with. Keep it stable, or every
   * link already sent breaks: `configuredOrGeneratedSecret(undefined, config.dataDir, "unsubscribe-secret")`.
   */
  secret: string;
  /** Time of the consent change and audit row. */
  clock: Clock;
  log: Logger;
  /** Shown on the pages (BRAND_NAME). */
  brandName: string;
}

type TokenRequest = FastifyRequest<{ Params: { token: string } }>;

/**
 * `GET /u/:token` shows a page (in the customer's language) asking to confirm, and changes nothing: mail
 * scanners open links. `POST /u/:token` (the page's button, or a mail client's RFC 8058 one-click
 * `List-Unsubscribe=One-Click`, form-encoded or multipart) unsubscribes the customer from the token's channel
 * and answers a "you are unsubscribed" page; repeating it is harmless. A token that does not verify gets a 400
 * page in the browser's language.
 */
export async function registerUnsubscribe(
  http: FastifyInstance,
  options: UnsubscribeRoutesOptions,
): Promise<void> {
  const log = options.log.child({ component: "unsubscribe" });
  const page = (
    reply: FastifyReply,
    status: number,
    kind: UnsubscribePageKind,
    locale: string,
    channel?: SendingChannelName,
  ) =>
    reply
      .status(status)
      .headers({ ...TOKEN_PAGE_HEADERS, "content-language": toLocale(locale) })
      .send(renderUnsubscribePage(kind, { locale, brand: options.brandName, channel }));
  const verify = (request: TokenRequest) => verifyUnsubscribeToken(options.secret, request.params.token);
  const browserLocale = (request: FastifyRequest) => preferredLocale(request.headers["accept-language"]);

  await http.register(async (scope) => {
    // RFC 8058 asks mail clients to POST multipart/form-data; the body says nothing we need, so any type is read
    // and ignored (form-encoded and JSON keep the app's own parsers).
    scope.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));

    scope.get(`${UNSUBSCRIBE_PATH}:token`, async (request: TokenRequest, reply) => {
      const target = verify(request);
      if (!target) return page(reply, 400, "broken", browserLocale(request));
      const found = await lookupUnsubscribe(options.db, target);
      if (found.kind === "unknown_customer")
        return page(reply, 200, "done", browserLocale(request), target.channel);
      return page(reply, 200, found.kind === "already" ? "done" : "confirm", found.locale, target.channel);
    });

    scope.post(`${UNSUBSCRIBE_PATH}:token`, async (request: TokenRequest, reply) => {
      const target = verify(request);
      if (!target) {
        log.warn({ ip: request.ip }, "unsubscribe refused: the token does not verify");
        return page(reply, 400, "broken", browserLocale(request));
      }
      const outcome = await recordUnsubscribe(options.db, target, new Date(options.clock.now()));
      if (outcome.kind === "unknown_customer") {
        log.info(
          { customerId: target.customerId, channel: target.channel },
          "unsubscribe for an unknown customer",
        );
        return page(reply, 200, "done", browserLocale(request), target.channel);
      }
      log.info(
        {
          customerId: outcome.customerId,
          channel: outcome.channel,
          deliveryId: target.deliveryId,
          oneClick: isOneClick(request.body),
          outcome: outcome.kind,
        },
        outcome.kind === "unsubscribed" ? "customer unsubscribed" : "customer was already unsubscribed",
      );
      return page(reply, 200, "done", outcome.locale, outcome.channel);
    });
  });
}

/** True for a mail client's RFC 8058 one-click body, `List-Unsubscribe=One-Click`, however it was encoded. */
function isOneClick(body: unknown): boolean {
  if (Buffer.isBuffer(body)) return body.toString("utf8").includes("One-Click");
  return (
    typeof body === "object" &&
    body !== null &&
    (body as Record<string, unknown>)["List-Unsubscribe"] === "One-Click"
  );
}
