import type { Platform } from "../platform.ts";
import { createSmsChannel } from "./channel.ts";
import { registerSmsWebhook, TWILIO_SMS_STATUS_PATH } from "./webhook.ts";

/**
 * SMS through Twilio's Programmable Messaging: the signed webhook (customers' messages and the STOP, START and
 * HELP keywords into the conversation core, the From number being the identity) and status callbacks onto
 * Deliveries; a channel sending with the official `twilio` package, one message a second per long code by
 * default. Live with TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN (shared with calls) and TWILIO_SMS_FROM or
 * TWILIO_MESSAGING_SERVICE_SID.
 */
export const sms: Platform<"sms"> = {
  name: "sms",
  configKeys: [
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_SMS_FROM",
    "TWILIO_MESSAGING_SERVICE_SID",
    "TWILIO_SMS_PER_SECOND",
    "TWILIO_API_ROOT",
  ],
  live: (config) =>
    Boolean(
      config.TWILIO_ACCOUNT_SID &&
        config.TWILIO_AUTH_TOKEN &&
        (config.TWILIO_SMS_FROM || config.TWILIO_MESSAGING_SERVICE_SID),
    ),
  create({ config, log, clock, db, onMessage, retries, live }) {
    return {
      ...(live &&
        config.TWILIO_ACCOUNT_SID &&
        config.TWILIO_AUTH_TOKEN && {
          channel: createSmsChannel({
            accountSid: config.TWILIO_ACCOUNT_SID,
            authToken: config.TWILIO_AUTH_TOKEN,
            from: config.TWILIO_SMS_FROM,
            messagingServiceSid: config.TWILIO_MESSAGING_SERVICE_SID,
            perSecond: config.TWILIO_SMS_PER_SECOND,
            statusCallback: `${config.PUBLIC_URL}${TWILIO_SMS_STATUS_PATH}`,
            apiRoot: config.TWILIO_API_ROOT,
            db,
            clock,
          }),
        }),
      // the webhook answers without a sender too (503 naming TWILIO_AUTH_TOKEN when that is unset), and in
      // `rapport demo`, whose replies go to the outbox
      async registerRoutes(http) {
        await registerSmsWebhook(http, {
          db,
          clock,
          log,
          authToken: config.TWILIO_AUTH_TOKEN,
          accountSid: config.TWILIO_ACCOUNT_SID,
          publicUrl: config.PUBLIC_URL,
          onMessage,
          retries,
        });
      },
    };
  },
};
