import path from "node:path";
import { z } from "zod";
import { ConfigError } from "./errors.ts";

const optional = () =>
  z
    .string()
    .trim()
    .transform((v) => (v === "" ? undefined : v))
    .optional();

const port = (fallback: number) =>
  z.coerce
    .number({ error: "expected a port number, e.g. 3000" })
    .int("expected a whole port number")
    .min(0, "expected a port between 0 and 65535")
    .max(65535, "expected a port between 0 and 65535")
    .default(fallback);

const url = (what: string) =>
  optional().refine((v) => v === undefined || URL.canParse(v), { error: `expected ${what}` });

/**
 * Every environment variable Rapport reads, with its default. `.env.example` documents the same list;
 * a test keeps the two in step.
 */
export const ConfigSchema = z.object({
  /** PostgreSQL URL. Unset → embedded PGlite in `$RAPPORT_DATA_DIR/pglite` (one process only). */
  DATABASE_URL: optional().refine(
    (v) => v === undefined || /^(postgres(ql)?:\/\/|pglite:)/.test(v),
    "expected postgresql://user@host:5432/db (or pglite:<dir>, pglite:memory)",
  ),
  /** Redis URL. Defaults to redis://127.0.0.1:6379; started as a child when nothing answers there. */
  REDIS_URL: z
    .string()
    .default("redis://127.0.0.1:6379")
    .refine((v) => /^rediss?:\/\//.test(v) && URL.canParse(v), "expected redis://host:6379"),
  /** Where embedded data (PGlite, Redis, outbox, generated secrets) lives. Defaults to `.data`. */
  RAPPORT_DATA_DIR: z.string().default(".data"),
  /** Largest file staff may upload to the console's import, in MB. Defaults to 200. */
  RAPPORT_IMPORT_MAX_MB: z.coerce.number().int().min(1).max(100_000).default(200),
  /** Days an uploaded import file and its reject file are kept under `$RAPPORT_DATA_DIR/imports`. Defaults to 7. */
  RAPPORT_IMPORT_KEEP_DAYS: z.coerce.number().int().min(1).max(3650).default(7),
  /** HTTP port of `rapport start`. Defaults to 3000. */
  PORT: port(3000),
  /** Interface to listen on. Defaults to 127.0.0.1; set 0.0.0.0 behind a proxy or in a container. */
  HOST: z.string().default("127.0.0.1"),
  /**
   * Proxies in front of Rapport whose X-Forwarded-For to believe: unset (none; clients are seen as they
   * connect), a number of hops (1 behind one load balancer), or comma-separated addresses or CIDRs.
   */
  TRUST_PROXY: optional().refine(
    (v) => v === undefined || /^(\d{1,2}|true|false|[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*)$/.test(v),
    {
      error:
        "expected a number of proxy hops (e.g. 1), or comma-separated proxy addresses or CIDRs (e.g. 10.0.0.0/8)",
    },
  ),
  /**
   * Bearer token for `GET /metrics` (Prometheus). Unset: metrics answer only to requests from this machine
   * (the socket's address, never a forwarded header).
   */
  METRICS_TOKEN: optional().refine((v) => v === undefined || v.length >= 16, {
    error: "expected at least 16 characters (e.g. `openssl rand -hex 32`)",
  }),
  /** `rapport worker` only: serve its /metrics and /readyz on this port (on HOST). Unset: no HTTP at all. */
  METRICS_PORT: z.coerce
    .number({ error: "expected a port number, e.g. 9464" })
    .int("expected a whole port number")
    .min(0, "expected a port between 0 and 65535")
    .max(65535, "expected a port between 0 and 65535")
    .optional(),
  /** The public base URL (links in emails, webhooks). Defaults to http://localhost:$PORT. */
  PUBLIC_URL: url("a URL such as https://crm.example.com"),
  /** HMAC key for signed inbound events (`X-Rapport-Signature`). Unset → generated once into the data dir. */
  RAPPORT_WEBHOOK_SECRET: optional().refine((v) => v === undefined || v.length >= 16, {
    error: "expected at least 16 characters (e.g. `openssl rand -hex 32`)",
  }),
  /**
   * HMAC key of the links in messages (unsubscribe). Every process must share it: set it when workers run on
   * other machines. Unset → generated once into the data dir.
   */
  RAPPORT_LINK_SECRET: optional().refine((v) => v === undefined || v.length >= 16, {
    error: "expected at least 16 characters (e.g. `openssl rand -hex 32`)",
  }),
  /** Shopify app client secret: enables POST /webhooks/shopify (X-Shopify-Hmac-Sha256). */
  SHOPIFY_WEBHOOK_SECRET: optional(),
  /**
   * Shopify test orders (`"test": true`): `store` keeps them, flagged, and sends no customer message;
   * `send` lets them trigger campaigns like real orders (to try a thank-you end to end). Defaults to store.
   */
  SHOPIFY_TEST_ORDERS: z.enum(["store", "send"], { error: "expected store or send" }).default("store"),
  /** Secret of the WooCommerce webhook: enables POST /webhooks/woocommerce (X-WC-Webhook-Signature). */
  WOOCOMMERCE_WEBHOOK_SECRET: optional(),
  /**
   * The Shopify shop whose discounts Rapport creates (`my-shop` or `my-shop.myshopify.com`), with
   * SHOPIFY_ADMIN_TOKEN: `unique()` codes are created there before any message carries them.
   */
  SHOPIFY_SHOP: optional(),
  /** An Admin API access token of SHOPIFY_SHOP with the write_discounts scope. */
  SHOPIFY_ADMIN_TOKEN: optional(),
  /** The WooCommerce store (e.g. https://shop.example.com) whose coupons Rapport creates, with its REST API key. */
  WOOCOMMERCE_URL: url("a URL such as https://shop.example.com"),
  /** WooCommerce REST API consumer key and secret (Read/Write) of WOOCOMMERCE_URL. */
  WOOCOMMERCE_KEY: optional(),
  WOOCOMMERCE_SECRET: optional(),
  /**
   * Prefix of every BullMQ key. Unset: `rapport:<installation id>`, the id created with the database, so
   * installations sharing one Redis never take each other's jobs. Set it for Redis Cluster (a hash tag such
   * as {rapport}), one per installation.
   */
  RAPPORT_QUEUE_PREFIX: optional(),
  /**
   * PostgreSQL connections per process. Each deliver worker runs at most this many jobs at once; the
   * workers together may ask for more, and then wait for a connection (never a failure). Defaults to 10.
   */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
  /** Folder of campaign YAML files. Defaults to the project's campaigns/. */
  RAPPORT_CAMPAIGNS_DIR: optional(),
  /** Folder of message templates. Defaults to the project's templates/. */
  RAPPORT_TEMPLATES_DIR: optional(),
  /**
   * Currency of bare `total_spent` and `avg_order` in segments (`total_spent > 100 EUR`): other currencies are
   * converted by the rates of campaigns/currencies.yaml. Defaults to EUR.
   */
  RAPPORT_BASE_CURRENCY: optional()
    .refine((v) => v === undefined || /^[A-Z]{3}$/.test(v), {
      error: "expected a currency code of three capital letters, like EUR or PLN",
    })
    .transform((v) => v ?? "EUR"),
  /** Auto-reply rules (YAML). Defaults to the project's bots/replies.yaml. */
  RAPPORT_REPLIES_FILE: optional(),
  /** Seconds between the campaign clock's ticks (schedules, inactivity, segment entry). Defaults to 60. */
  RAPPORT_CAMPAIGN_CLOCK: z.coerce.number().int().min(1).max(3600).default(60),
  /**
   * Marketing send window in each customer's local time, "HH:MM-HH:MM" (e.g. 08:00-21:00): a campaign
   * message due outside it waits for it to open. Campaigns' own quiet_hours take precedence. Unset: none.
   */
  RAPPORT_SEND_WINDOW: optional().refine(
    (v) => v === undefined || /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/.test(v),
    {
      error: 'expected a local time window like "08:00-21:00"',
    },
  ),
  /** Jobs a worker runs at once per queue. Defaults to 20. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(20),
  /**
   * Seconds after which a job whose worker died (crash, SIGKILL, lost machine) is handed to another. Every
   * worker process must use the same value. Defaults to 30 (BullMQ's).
   */
  WORKER_STALLED_INTERVAL: z.coerce.number().int().min(1).max(3600).default(30),
  /**
   * Milliseconds a provider has to answer one send or batch before the deliverer gives it up (the SDKs'
   * own waits run to 5 and 8 minutes, a job and its slot held all along). Email is then sent again under
   * the same idempotency key; a channel without one (Telegram, X) is never sent twice: the Delivery is
   * failed with reason unknown_outcome. Defaults to 30 000.
   */
  SEND_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** Brand name shown in messages. */
  BRAND_NAME: z.string().default("Rapport Shop"),
  /** Brand website, linked from emails. */
  BRAND_URL: url("a URL such as https://shop.example.com"),
  /** Sender of every email, "Name <address>". */
  EMAIL_FROM: z.string().default("Rapport Shop <hello@example.com>"),
  /**
   * Reply-To of every email: the address Resend receives mail on (Resend → Receiving), when it is not
   * EMAIL_FROM's. Customers' answers to it reach the inbox through the `email.received` webhook. Unset: none.
   */
  EMAIL_REPLY_TO: optional().refine(
    (v) => v === undefined || /^([^<>]*<)?[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+>?$/.test(v),
    {
      error: "expected an address such as reply@in.shop.example.com (or Name <address>)",
    },
  ),
  /** Resend API key. Unset → emails are written to `$RAPPORT_DATA_DIR/outbox/email/*.eml`. */
  RESEND_API_KEY: optional(),
  /** Resend API base URL (tests, proxies). */
  RESEND_BASE_URL: url("a URL such as https://api.resend.com"),
  /** Requests per second your Resend account allows (its `ratelimit-limit`; each batch carries 100 emails). Defaults to 5. */
  RESEND_REQUESTS_PER_SECOND: z.coerce.number().int().min(1).max(1000).default(5),
  /** Signing secret (whsec_…) of the Resend webhook posting to PUBLIC_URL/webhooks/resend. Unset: that route answers 503. */
  RESEND_WEBHOOK_SECRET: optional().refine((v) => v === undefined || /^whsec_[A-Za-z0-9+/]+=*$/.test(v), {
    error: "expected the signing secret Resend shows on the webhook, starting with whsec_",
  }),
  /** Telegram bot token from @BotFather. Unset → the Telegram bot is off. */
  TELEGRAM_BOT_TOKEN: optional().refine((v) => v === undefined || /^\d+:[\w-]{20,}$/.test(v), {
    error: "expected a token from @BotFather, like 123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11",
  }),
  /** Telegram Bot API root (tests, local Bot API server). Defaults to https://api.telegram.org. */
  TELEGRAM_API_ROOT: url("a URL such as https://api.telegram.org"),
  /**
   * How Telegram updates arrive: polling, webhook (at PUBLIC_URL/webhooks/telegram), or auto = webhook when
   * PUBLIC_URL is set to an https URL, else polling. Defaults to auto.
   */
  TELEGRAM_MODE: z.enum(["auto", "polling", "webhook"]).default("auto"),
  /** Secret Telegram sends with each webhook call. Unset: generated once into the data dir. */
  TELEGRAM_WEBHOOK_SECRET: optional().refine((v) => v === undefined || /^[A-Za-z0-9_-]{1,256}$/.test(v), {
    error: "expected 1-256 characters A-Z, a-z, 0-9, _ or - (Telegram's rule for secret_token)",
  }),
  /**
   * WhatsApp Business Cloud API access token (Meta → WhatsApp → API Setup, or a system user's permanent
   * token). WhatsApp is on when it, WHATSAPP_PHONE_NUMBER_ID and WHATSAPP_APP_SECRET are set.
   */
  WHATSAPP_ACCESS_TOKEN: optional(),
  /** The id of the business phone number that sends (API Setup → "Phone number ID"; not the number itself). */
  WHATSAPP_PHONE_NUMBER_ID: optional().refine((v) => v === undefined || /^\d{5,32}$/.test(v), {
    error: 'expected the "Phone number ID" from WhatsApp → API Setup (digits), not the phone number',
  }),
  /** The Meta app's secret (App settings → Basic → App secret): the key of `X-Hub-Signature-256` on webhooks. */
  WHATSAPP_APP_SECRET: optional(),
  /** The token typed into the webhook's "Verify token" field in Meta's dashboard. Unset: verification answers 403. */
  WHATSAPP_VERIFY_TOKEN: optional(),
  /** Graph API root with its version (tests, proxies). Defaults to https://graph.facebook.com/v21.0. */
  WHATSAPP_API_ROOT: url("a URL such as https://graph.facebook.com/v21.0"),
  /** Discord bot token (Developer Portal → Bot). Unset: the Discord bot is off. */
  DISCORD_BOT_TOKEN: optional(),
  /** Discord REST API base (tests). Defaults to https://discord.com/api. */
  DISCORD_API_URL: url("a URL such as https://discord.com/api"),
  /** Discord gateway URL (tests). Defaults to the one Discord announces. */
  DISCORD_GATEWAY_URL: optional(),
  /** X (Twitter) app key (OAuth 1.0a consumer key). X is on when all four X_* credentials are set. */
  X_APP_KEY: optional(),
  /** X app secret (consumer secret). */
  X_APP_SECRET: optional(),
  /** X access token of the brand account. */
  X_ACCESS_TOKEN: optional(),
  /** X access token secret of the brand account. */
  X_ACCESS_SECRET: optional(),
  /** X API root (tests). Defaults to https://api.x.com. */
  X_API_ROOT: url("a URL such as https://api.x.com"),
  /** Comma-separated keywords to listen for on X besides mentions (social listening). */
  X_KEYWORDS: optional(),
  /** Seconds between X polls (reads cost money). Defaults to 60. */
  X_POLL_INTERVAL: z.coerce.number().int().min(5).max(3600).default(60),
  /**
   * Twilio account auth token: the key of `X-Twilio-Signature` on PUBLIC_URL/webhooks/twilio/voice. Unset: that
   * route answers 503 and calls come only through `POST /api/calls`.
   */
  TWILIO_AUTH_TOKEN: optional(),
  /** Twilio account SID (AC…): set, a voice webhook of any other account is refused. */
  TWILIO_ACCOUNT_SID: optional().refine((v) => v === undefined || /^AC[0-9a-fA-F]{32}$/.test(v), {
    error: "expected the Account SID from the Twilio console: AC and 32 hex digits",
  }),
  /** Where the voice webhook's TwiML puts incoming calls through (`<Dial>`): a number or sip: address. Unset: `<Response/>`. */
  TWILIO_VOICE_DIAL: optional(),
  /**
   * The number SMS are sent from, E.164 (a Twilio long code, toll-free or short code of the account). SMS is on
   * when TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and it or TWILIO_MESSAGING_SERVICE_SID are set.
   */
  TWILIO_SMS_FROM: optional().refine((v) => v === undefined || /^\+[1-9]\d{2,14}$/.test(v), {
    error: "expected the sending number in E.164, e.g. +14155550100",
  }),
  /** A Messaging Service (MG…) to send SMS through instead of one number (its sender pool picks the number). */
  TWILIO_MESSAGING_SERVICE_SID: optional().refine((v) => v === undefined || /^MG[0-9a-fA-F]{32}$/.test(v), {
    error: "expected the Messaging Service SID from the Twilio console: MG and 32 hex digits",
  }),
  /** SMS a second Rapport sends (one long code takes 1 a second; toll-free and short codes more). Defaults to 1. */
  TWILIO_SMS_PER_SECOND: z.coerce.number().int().min(1).max(1000).default(1),
  /** Twilio REST API root (tests, proxies). Defaults to https://api.twilio.com. */
  TWILIO_API_ROOT: url("a URL such as https://api.twilio.com"),
  /** pino log level. Defaults to info. */
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** json (one object a line, for log collectors) or pretty (one line each, for a person). Defaults to pretty. */
  LOG_FORMAT: z.enum(["json", "pretty"]).optional(),
});

type Parsed = z.infer<typeof ConfigSchema>;

/** The validated, frozen configuration. */
export interface Config extends Readonly<Omit<Parsed, "PUBLIC_URL">> {
  readonly PUBLIC_URL: string;
  /** RAPPORT_DATA_DIR, absolute. */
  readonly dataDir: string;
}

/** Keys whose values never appear in logs. */
export const SECRET_KEYS = [
  "DATABASE_URL",
  "RAPPORT_WEBHOOK_SECRET",
  "RAPPORT_LINK_SECRET",
  "METRICS_TOKEN",
  "SHOPIFY_WEBHOOK_SECRET",
  "WOOCOMMERCE_WEBHOOK_SECRET",
  "SHOPIFY_ADMIN_TOKEN",
  "WOOCOMMERCE_KEY",
  "WOOCOMMERCE_SECRET",
  "RESEND_API_KEY",
  "RESEND_WEBHOOK_SECRET",
  "TELEGRAM_BOT_TOKEN",
  "TELEGRAM_WEBHOOK_SECRET",
  "DISCORD_BOT_TOKEN",
  "WHATSAPP_ACCESS_TOKEN",
  "WHATSAPP_APP_SECRET",
  "WHATSAPP_VERIFY_TOKEN",
  "TWILIO_AUTH_TOKEN",
  "X_APP_SECRET",
  "X_ACCESS_TOKEN",
  "X_ACCESS_SECRET",
] as const satisfies ReadonlyArray<keyof Parsed>;

/**
 * Reads the configuration from an environment once. A bad value throws a {@link ConfigError} whose
 * message is one line naming the variable and what it expects.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = String(issue.path[0] ?? "environment");
    const got = env[variable];
    const shown = got === undefined || SECRET_KEYS.includes(variable as never) ? "" : ` (got "${got}")`;
    throw new ConfigError(`${variable}: ${issue.message}${shown}`, variable);
  }
  const parsed = result.data;
  return Object.freeze({
    ...parsed,
    PUBLIC_URL: (parsed.PUBLIC_URL ?? `http://localhost:${parsed.PORT}`).replace(/\/+$/, ""),
    dataDir: path.resolve(cwd, parsed.RAPPORT_DATA_DIR),
  });
}

/** The configuration with secrets replaced, for logs and `rapport config`. */
export function redactConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const key of SECRET_KEYS) if (out[key] !== undefined) out[key] = "[redacted]";
  return out;
}
