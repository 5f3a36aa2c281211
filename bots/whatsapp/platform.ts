import type { Platform } from "../platform.ts";
import { createWhatsAppChannel } from "./channel.ts";
import { registerWhatsAppWebhook } from "./webhook.ts";

/**
 * WhatsApp through Meta's Business Cloud API: the webhook (verification, customers' messages into the
 * conversation core, statuses onto Deliveries) and a channel that sends free-form replies inside the 24-hour
 * customer-service window and approved templates at any time. Live with WHATSAPP_ACCESS_TOKEN,
 * WHATSAPP_PHONE_NUMBER_ID and WHATSAPP_APP_SECRET.
 */
export const whatsapp: Platform<"whatsapp"> = {
  name: "whatsapp",
  configKeys: [
    "WHATSAPP_ACCESS_TOKEN",
    "WHATSAPP_PHONE_NUMBER_ID",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_VERIFY_TOKEN",
    "WHATSAPP_API_ROOT",
  ],
  live: (config) =>
    Boolean(config.WHATSAPP_ACCESS_TOKEN && config.WHATSAPP_PHONE_NUMBER_ID && config.WHATSAPP_APP_SECRET),
  create({ config, log, clock, db, onMessage, retries, live }) {
    return {
      ...(live &&
        config.WHATSAPP_ACCESS_TOKEN &&
        config.WHATSAPP_PHONE_NUMBER_ID && {
          channel: createWhatsAppChannel({
            accessToken: config.WHATSAPP_ACCESS_TOKEN,
            phoneNumberId: config.WHATSAPP_PHONE_NUMBER_ID,
            apiRoot: config.WHATSAPP_API_ROOT,
            db,
            clock,
          }),
        }),
      // the webhook answers without credentials too: 503 naming WHATSAPP_APP_SECRET, or customers' messages
      // in (also in `rapport demo`, whose replies go to the outbox)
      async registerRoutes(http) {
        await registerWhatsAppWebhook(http, {
          db,
          clock,
          log,
          appSecret: config.WHATSAPP_APP_SECRET,
          verifyToken: config.WHATSAPP_VERIFY_TOKEN,
          onMessage,
          retries,
        });
      },
    };
  },
};
