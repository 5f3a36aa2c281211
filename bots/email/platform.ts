import type { Platform } from "../platform.ts";
import { emailChannelHooks } from "./channel-hooks.ts";
import { createReceivedEmailFetcher } from "./received.ts";
import { createResendChannel } from "./resend-channel.ts";
import { registerResendWebhook } from "./resend-webhook.ts";

/**
 * Email through Resend: the channel (single sends and batches of 100), and Resend's webhook (delivery events
 * onto Deliveries, and customers' emails into the conversation core when RESEND_API_KEY is set). Live with
 * RESEND_API_KEY.
 */
export const email: Platform<"email"> = {
  name: "email",
  configKeys: [
    "RESEND_API_KEY",
    "RESEND_BASE_URL",
    "RESEND_REQUESTS_PER_SECOND",
    "RESEND_WEBHOOK_SECRET",
    "EMAIL_FROM",
    "EMAIL_REPLY_TO",
  ],
  // replies threaded as email replies, marketing with List-Unsubscribe headers: by Resend and in the outbox
  hooks: emailChannelHooks,
  live: (config) => Boolean(config.RESEND_API_KEY),
  create({ config, log, clock, db, onMessage, retries, live }) {
    return {
      ...(live &&
        config.RESEND_API_KEY && {
          channel: createResendChannel({
            apiKey: config.RESEND_API_KEY,
            baseUrl: config.RESEND_BASE_URL,
            from: config.EMAIL_FROM,
            replyTo: config.EMAIL_REPLY_TO,
            requestsPerSecond: config.RESEND_REQUESTS_PER_SECOND,
          }),
        }),
      async registerRoutes(http) {
        await registerResendWebhook(http, {
          db,
          secret: config.RESEND_WEBHOOK_SECRET,
          clock,
          log,
          // customers' emails come in through the same conversation core as every chat (also in `rapport demo`)
          inbound: config.RESEND_API_KEY
            ? {
                fetchEmail: createReceivedEmailFetcher({
                  apiKey: config.RESEND_API_KEY,
                  baseUrl: config.RESEND_BASE_URL,
                }),
                onMessage,
                ownAddresses: [config.EMAIL_FROM, ...(config.EMAIL_REPLY_TO ? [config.EMAIL_REPLY_TO] : [])],
              }
            : undefined,
          retries,
        });
      },
    };
  },
};
