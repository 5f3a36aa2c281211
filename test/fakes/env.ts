import type { Message } from "grammy/types";
import type { FakeDiscord } from "./discord.ts";
import type { FakeResend } from "./resend.ts";
import type { FakeTelegram } from "./telegram.ts";
import type { FakeTwilioSms } from "./twilio-sms.ts";
import type { FakeWhatsApp } from "./whatsapp.ts";
import { FAKE_X_CREDENTIALS, type FakeX } from "./x.ts";

/** The fakes a test app talks to instead of the platforms. */
export interface Fakes {
  telegram?: FakeTelegram;
  discord?: FakeDiscord;
  resend?: FakeResend;
  x?: FakeX;
  whatsapp?: FakeWhatsApp;
  sms?: FakeTwilioSms;
}

/**
 * The environment that points Rapport at the given fakes (token, credentials and API root of each), as a
 * brand's `.env` points it at the platforms: spread it into `startTestApp`'s or a child process's `env`.
 */
export function envFor(fakes: Fakes): Record<string, string> {
  const { telegram, discord, resend, x, whatsapp, sms } = fakes;
  return {
    ...(telegram && { TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.apiRoot }),
    ...(discord && { DISCORD_BOT_TOKEN: discord.token, DISCORD_API_URL: discord.restUrl }),
    ...(resend && { RESEND_API_KEY: resend.apiKey, RESEND_BASE_URL: resend.baseUrl }),
    ...(x && {
      X_APP_KEY: FAKE_X_CREDENTIALS.appKey,
      X_APP_SECRET: FAKE_X_CREDENTIALS.appSecret,
      X_ACCESS_TOKEN: FAKE_X_CREDENTIALS.accessToken,
      X_ACCESS_SECRET: FAKE_X_CREDENTIALS.accessSecret,
      X_API_ROOT: x.apiRoot,
    }),
    ...(whatsapp && {
      WHATSAPP_ACCESS_TOKEN: whatsapp.accessToken,
      WHATSAPP_PHONE_NUMBER_ID: whatsapp.phoneNumberId,
      WHATSAPP_APP_SECRET: whatsapp.appSecret,
      WHATSAPP_VERIFY_TOKEN: whatsapp.verifyToken,
      WHATSAPP_API_ROOT: whatsapp.apiRoot,
    }),
    ...(sms && {
      TWILIO_ACCOUNT_SID: sms.accountSid,
      TWILIO_AUTH_TOKEN: sms.authToken,
      TWILIO_SMS_FROM: sms.from,
      TWILIO_API_ROOT: sms.apiRoot,
    }),
  };
}

/** The `callback_data` of a Telegram message's inline keyboard buttons, row after row. */
export function inlineButtonsOf(message: Message): string[] {
  const keyboard = (message.reply_markup?.inline_keyboard ?? []).flat();
  return keyboard.map((button) => ("callback_data" in button ? button.callback_data : button.text));
}
