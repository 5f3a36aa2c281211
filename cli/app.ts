import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { RouteOptions } from "fastify";
import {
  type Channel,
  closeConversation,
  connectedShop,
  createResponder,
  InboundRetries,
  loadReplies,
  mergeCustomers,
  type Replies,
  registerDoubleOptIn,
  registerEventsApi,
  registerLoyaltyApi,
  registerShopWebhooks,
  registerUnsubscribe,
  retryInboundFailure,
  type SendReply,
} from "../bots/index.ts";
import { registerCallsApi, registerTwilioVoice } from "../bots/phone/index.ts";
import { type CompiledCampaign, loadCampaigns } from "../campaigns/index.ts";
import { onCallRecorded } from "../console/calls.ts";
import { registerLookupApi } from "../console/customers/lookup-api.ts";
import {
  createLiveHub,
  deliveredEvent,
  firstStartHint,
  hasStaffUsers,
  onCustomerRenamed,
  onInboundStored,
  registerConsole,
} from "../console/index.ts";
import type { SendingChannelName } from "../lib/channels.ts";
import { type Clock, systemClock } from "../lib/clock.ts";
import type { Config } from "../lib/config.ts";
import {
  createDb,
  type Db,
  migrate,
  parseDatabaseUrl,
  pendingMigrations,
  redactUrl,
} from "../lib/db/index.ts";
import { formatPosition } from "../lib/errors.ts";
import { createHttpServer, trustProxyOption } from "../lib/http.ts";
import { randomToken } from "../lib/ids.ts";
import type { Logger } from "../lib/logger.ts";
import { type OpsOptions, registerOps } from "../lib/metrics.ts";
import type { ApiInfo } from "../lib/openapi.ts";
import { registerOpenApi } from "../lib/openapi-routes.ts";
import { createRedis, type EmbeddedRedis, ensureRedis, type Redis } from "../lib/redis.ts";
import { configuredOrGeneratedSecret } from "../lib/secrets.ts";
import { createTemplateStore } from "../templates/index.ts";
import {
  type Audiences,
  type CampaignRegistry,
  closeQueues,
  createAudiences,
  createCampaignRegistry,
  enqueueEvent,
  installationId,
  QUEUE,
  QUEUE_IMPORT,
  QUEUE_WEBHOOKS,
  type QueueContext,
  queueFor,
  queuePrefixOf,
  queueReply,
  segmentsOf,
  startWorkers,
  syncCampaigns,
  type Workers,
} from "../workers/index.ts";
import { createPlatforms } from "./platforms.ts";

/** The project folder, whatever the working directory. */
export const PROJECT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** What to run in this process. */
export interface AppOptions {
  config: Config;
  log: Logger;
  clock?: Clock;
  /** Serve HTTP (events API, webhooks, console). Defaults to true. */
  http?: boolean;
  /** Run the queue workers in this process. Defaults to true. */
  workers?: boolean;
  /** Run the chat bots (Telegram polling, …). Defaults to true. */
  bots?: boolean;
  /** Apply pending migrations at start-up. Defaults to true. */
  migrate?: boolean;
  /** Send every channel to the outbox, whatever credentials are set (`rapport demo`). */
  outboxOnly?: boolean;
  /** Called for every route the HTTP server registers (the OpenAPI test lists them so). */
  onRoute?: (route: RouteOptions) => void;
  /** Told each slow step of starting as it begins ("applying 21 migrations"): `rapport start` prints them. */
  progress?: (step: string) => void;
}

/** A running Rapport: every part it started, and one way to stop them all. */
export interface App {
  readonly config: Config;
  readonly db: Db;
  readonly redis: Redis;
  readonly queues: QueueContext;
  /** This database's installation id (workers/installation.ts); its queues live under `queues.prefix`. */
  readonly installation: string;
  /** The HTTP base URL actually listened on, when HTTP runs. */
  readonly url?: string;
  /** While no staff account exists: how to create the first admin (console/first-start.ts). */
  readonly firstStart?: string;
  readonly webhookSecret: string;
  readonly campaigns: () => readonly CompiledCampaign[];
  /** The campaigns as every worker sees them (database, refreshed). */
  readonly registry: CampaignRegistry;
  readonly audiences: Audiences;
  readonly channels: readonly Channel[];
  /** The channels that only write to the outbox (no credentials, or `outboxOnly`). */
  readonly outboxOnly: readonly SendingChannelName[];
  close(): Promise<void>;
}

/**
 * Wires Rapport together: database (PostgreSQL or embedded PGlite), Redis (or an embedded redis-server),
 * campaigns, templates, channels, the HTTP server, the bots and the workers. Only `cli/` does this.
 */
export async function createApp(options: AppOptions): Promise<App> {
  const { config, log } = options;
  const clock = options.clock ?? systemClock;
  const progress = options.progress ?? (() => {});
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const closer of closers.reverse())
      await closer().catch((err) => log.warn({ err }, "error while stopping"));
  };
  try {
    mkdirSync(config.dataDir, { recursive: true });
    progress(databaseStep(config));
    const database = await createDb({
      url: config.DATABASE_URL,
      dataDir: config.dataDir,
      log,
      poolSize: config.DATABASE_POOL_SIZE,
    });
    closers.push(() => database.close());
    if (options.migrate !== false) {
      const pending = await pendingMigrations(database.db);
      if (pending.length) progress(`applying ${pending.length} migration${pending.length === 1 ? "" : "s"}`);
      const applied = await migrate(database, { log });
      if (applied.length)
        log.info({ count: applied.length, latest: applied.at(-1) }, "database migrations applied");
    }
    const embedded: EmbeddedRedis | undefined = await ensureRedis(config.REDIS_URL, config.dataDir, log, {
      onStart: (dir) => progress(`starting Redis (redis-server, data in ${dir})`),
    });
    if (embedded) closers.push(() => embedded.stop());
    const redis = createRedis(config.REDIS_URL);
    closers.push(async () => void redis.disconnect());
    // the queues belong to the database: two installations sharing this Redis keep apart
    const installation = await installationId(database.db);
    const prefix = queuePrefixOf(installation, config.RAPPORT_QUEUE_PREFIX);
    log.info(
      { installation, queuePrefix: prefix, configured: config.RAPPORT_QUEUE_PREFIX !== undefined },
      "installation",
    );
    await warnOfUnprefixedQueues(redis, config.RAPPORT_QUEUE_PREFIX, log);
    const queues: QueueContext = { connection: redis, prefix, installation };
    closers.push(() => closeQueues(queues));

    const campaignsDir = config.RAPPORT_CAMPAIGNS_DIR ?? path.join(PROJECT_DIR, "campaigns");
    progress(`loading campaigns from ${campaignsDir}`);
    const loaded = await loadCampaigns(campaignsDir, { baseCurrency: config.RAPPORT_BASE_CURRENCY });
    for (const issue of loaded.errors)
      log.error(`campaign not loaded: ${formatPosition(issue)}: ${issue.message}`);
    const sources = new Map(loaded.campaigns.map((c) => [c.id, readFileSync(c.file, "utf8")]));
    const active = await syncCampaigns(database.db, loaded.campaigns, sources);
    log.info({ active: [...active], dir: campaignsDir }, "campaigns loaded");
    const registry = await createCampaignRegistry({
      db: database.db,
      log,
      sendWindow: config.RAPPORT_SEND_WINDOW,
      consent: loaded.consent,
    });
    closers.push(async () => registry.close());
    const audiences = createAudiences(() => loaded.segments);
    const linkSecret = configuredOrGeneratedSecret(config.RAPPORT_LINK_SECRET, config.dataDir, "link-secret");

    const replies = loadRepliesOrNone(
      config.RAPPORT_REPLIES_FILE ?? path.join(PROJECT_DIR, "bots", "replies.yaml"),
      log,
    );
    // the console's live updates: every process publishes, the ones serving the console listen
    const live = createLiveHub({ redis, prefix, log });
    closers.push(() => live.close());
    const sendReply: SendReply = (reply) => queueReply({ db: database.db, queues, clock }, reply);
    const responder = createResponder({
      db: database.db,
      replies,
      sendReply,
      clock,
      log,
      brandName: config.BRAND_NAME,
      onStored: onInboundStored({ db: database.db, live, log }),
    });

    const templates = createTemplateStore(
      config.RAPPORT_TEMPLATES_DIR ? { dir: config.RAPPORT_TEMPLATES_DIR } : {},
    );
    // how each inbound source re-processes a dead letter (InboundFailure) when staff retry it
    const inboundRetries = new InboundRetries();
    const platforms = createPlatforms({
      config,
      log,
      clock,
      db: database.db,
      redis,
      onMessage: responder,
      retries: inboundRetries,
      sendReply,
      outboxOnly: options.outboxOnly ?? false,
      redisPrefix: prefix,
      onIdentified: onCustomerRenamed({ db: database.db, live, log }),
    });
    closers.push(() => platforms.close());
    const channels = platforms.channels;
    const webhookSecret = configuredOrGeneratedSecret(
      config.RAPPORT_WEBHOOK_SECRET,
      config.dataDir,
      "webhook-secret",
    );

    // /readyz and /metrics: on the HTTP server, or for a `rapport worker` on METRICS_PORT alone
    const ops: OpsOptions = {
      db: database.db,
      redis,
      queues: () =>
        [
          QUEUE.events,
          QUEUE.plan,
          QUEUE.campaigns,
          QUEUE_WEBHOOKS,
          QUEUE_IMPORT,
          ...channels.map((c) => QUEUE.deliver(c.name)),
        ].map((name) => queueFor(queues, name)),
      ...(config.METRICS_TOKEN !== undefined && { token: config.METRICS_TOKEN }),
      log,
    };
    let url: string | undefined;
    let firstStart: string | undefined;
    if (options.http === false && config.METRICS_PORT !== undefined) {
      const metricsHttp = createHttpServer({ log, trustProxy: false });
      registerOps(metricsHttp, ops);
      url = await metricsHttp.listen({ port: config.METRICS_PORT, host: config.HOST });
      closers.push(() => metricsHttp.close());
      log.info({ url }, "metrics and readiness listening");
    }
    if (options.http !== false) {
      progress("starting the web server");
      const http = createHttpServer({ log, trustProxy: trustProxyOption(config.TRUST_PROXY) });
      if (options.onRoute) http.addHook("onRoute", options.onRoute);
      // first: it lists every route registered after it (GET /api/openapi.json, /api/docs)
      registerOpenApi(http, apiInfo());
      registerOps(http, ops);
      const onEvent = (result: { eventId: string }) => enqueueEvent(queues, result.eventId);
      await registerEventsApi(http, {
        db: database.db,
        secret: webhookSecret.value,
        clock,
        onEvent,
        doubleOptIn: {
          db: database.db,
          clock,
          sendReply,
          secret: linkSecret.value,
          publicUrl: config.PUBLIC_URL,
          brandName: config.BRAND_NAME,
        },
      });
      await registerDoubleOptIn(http, {
        db: database.db,
        secret: linkSecret.value,
        clock,
        log,
        brandName: config.BRAND_NAME,
      });
      await registerLoyaltyApi(http, { db: database.db, secret: webhookSecret.value, clock });
      await platforms.registerRoutes(http);
      // not the email platform's: every channel's marketing carries these links (workers/render.ts signs them)
      await registerUnsubscribe(http, {
        db: database.db,
        secret: linkSecret.value,
        clock,
        log,
        brandName: config.BRAND_NAME,
      });
      await registerShopWebhooks(http, {
        db: database.db,
        clock,
        onEvent,
        shopifySecret: config.SHOPIFY_WEBHOOK_SECRET,
        wooCommerceSecret: config.WOOCOMMERCE_WEBHOOK_SECRET,
        sendTestOrders: config.SHOPIFY_TEST_ORDERS === "send",
        retries: inboundRetries,
        log,
      });
      // while nobody can sign in, the console serves a first-start page behind this secret (console/routes/setup.ts)
      const setupToken = (await hasStaffUsers(database.db)) ? undefined : randomToken(24);
      await registerConsole(http, {
        setupToken,
        db: database.db,
        redis,
        redisPrefix: prefix,
        clock,
        log,
        publicUrl: config.PUBLIC_URL,
        brandName: config.BRAND_NAME,
        queues,
        live,
        segmentsOf: (customerId) =>
          segmentsOf(database.db, loaded.segments, customerId, new Date(clock.now())),
        segments: () => loaded.segments,
        closeConversation: (conversationId, { survey }) =>
          closeConversation({ db: database.db, sendReply }, conversationId, {
            now: new Date(clock.now()),
            survey,
          }),
        mergeCustomers: (survivorId, mergedId, staffUserId) =>
          mergeCustomers(database.db, survivorId, mergedId, {
            reason: "staff",
            actorType: "staff",
            staffUserId,
          }),
        templates,
        linkSecret: linkSecret.value,
        brandUrl: config.BRAND_URL,
        audiences,
        retryInboundFailure: (id) =>
          retryInboundFailure(database.db, inboundRetries, id, new Date(clock.now())),
        imports: {
          dir: path.join(config.dataDir, "imports"),
          maxBytes: config.RAPPORT_IMPORT_MAX_MB * 1024 * 1024,
          keepDays: config.RAPPORT_IMPORT_KEEP_DAYS,
        },
        // "Send me a test": the email channel itself, with no Delivery and no queue
        sendEmail: ({ id, ...message }) => {
          const email = channels.find((c) => c.name === "email");
          if (!email) throw new Error("no email channel");
          return email.send({ deliveryId: id, ...message }, `test-${id}`);
        },
      });
      registerLookupApi(http, {
        db: database.db,
        clock,
        segmentsOf: (customerId) =>
          segmentsOf(database.db, loaded.segments, customerId, new Date(clock.now())),
      });
      // calls: Twilio's voice webhook and any phone system's POST /api/calls, popped in the console
      const onCall = onCallRecorded({ db: database.db, live, log });
      registerTwilioVoice(http, {
        db: database.db,
        clock,
        authToken: config.TWILIO_AUTH_TOKEN,
        accountSid: config.TWILIO_ACCOUNT_SID,
        publicUrl: config.PUBLIC_URL,
        dial: config.TWILIO_VOICE_DIAL,
        onCall,
      });
      registerCallsApi(http, { db: database.db, clock, onCall });
      url = await http.listen({ port: config.PORT, host: config.HOST });
      closers.push(() => http.close());
      log.info({ url, webhookSecretFile: webhookSecret.file }, "HTTP server listening");
      firstStart = await firstStartHint(database.db, config.PUBLIC_URL, {
        setupToken,
        embedded: database.kind === "pglite",
      });
      if (firstStart) log.warn(firstStart);
    }
    if (options.workers !== false) {
      progress("starting the queue workers");
      const workers: Workers = await startWorkers({
        db: database.db,
        connection: redis,
        prefix,
        installation,
        concurrency: config.WORKER_CONCURRENCY,
        connections: database.poolSize,
        clock,
        log,
        brand: { name: config.BRAND_NAME, url: config.BRAND_URL },
        templates,
        registry,
        audiences,
        channels,
        publicUrl: config.PUBLIC_URL,
        unsubscribeSecret: linkSecret.value,
        clockEveryMs: config.RAPPORT_CAMPAIGN_CLOCK * 1000,
        stalledIntervalMs: config.WORKER_STALLED_INTERVAL * 1000,
        sendTimeoutMs: config.SEND_TIMEOUT_MS,
        shopCoupons: connectedShop(config),
        loyalty: () => loaded.loyalty && { rules: loaded.loyalty, money: loaded.segments.money },
        // the console's uploads: on the database this process opened (PGlite: its own instance)
        importTarget:
          database.kind === "pglite" && database.pglite
            ? { kind: "pglite", pglite: database.pglite }
            : { kind: "postgres", url: database.url },
        onDelivered: (delivered) => {
          const event = deliveredEvent(delivered);
          if (event) live.publish(event);
        },
      });
      closers.push(() => workers.close());
      log.info(
        {
          channels: channels.map((c) => c.name),
          concurrency: config.WORKER_CONCURRENCY,
          deliverConcurrency: Math.min(config.WORKER_CONCURRENCY, database.poolSize),
          connections: database.poolSize,
        },
        "workers running",
      );
    }
    if (options.bots !== false) {
      const bots = platforms.listening;
      if (bots.length) progress(`connecting the chat bots (${bots.join(", ")})`);
      await platforms.start();
      closers.push(() => platforms.stop());
    }
    return {
      config,
      db: database.db,
      redis,
      queues,
      installation,
      url,
      firstStart,
      webhookSecret: webhookSecret.value,
      campaigns: () => registry.active(),
      registry,
      audiences,
      channels,
      outboxOnly: platforms.outboxOnly,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The OpenAPI document's `info`: the version is package.json's. */
function apiInfo(): ApiInfo {
  const pkg = JSON.parse(readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")) as { version: string };
  return {
    title: "Rapport API",
    version: pkg.version,
    description:
      "Events and orders in (signed with HMAC), customer lookups and calls with a scoped API token, and the " +
      "webhooks of Telegram, Resend, Shopify and WooCommerce. Every body is JSON unless said otherwise; a refused " +
      "request stores nothing and its 4xx names the field at fault.",
  };
}

/** Queue names whose keys, under the old fixed prefix "rapport", show queues from before installation ids. */
const UNPREFIXED_QUEUES = ["events", "plan", "campaigns", "deliver-email", "deliver-telegram"];

/**
 * Before installation ids every installation's queues were under "rapport". Jobs still waiting there (an
 * upgrade with delayed messages) are this installation's only if it is alone on this Redis: say how to
 * keep them rather than guess.
 */
/**
 * The database step's progress line. A PGlite folder without PG_VERSION is created now: the slow part of a
 * first start (initdb in WebAssembly, then every migration: 30–50 s on 2 busy cores).
 */
function databaseStep(config: Config): string {
  const location = parseDatabaseUrl(config.DATABASE_URL ?? `pglite:${path.join(config.dataDir, "pglite")}`);
  if (location.kind === "postgres") return `connecting to PostgreSQL at ${redactUrl(location.url)}`;
  if (!location.dir) return "creating an in-memory database";
  if (existsSync(path.join(location.dir, "PG_VERSION")))
    return `opening the embedded database in ${location.dir}`;
  return `creating the embedded database in ${location.dir} (first start: up to a minute)`;
}

async function warnOfUnprefixedQueues(redis: Redis, configured: string | undefined, log: Logger) {
  if (configured !== undefined) return;
  const found = await redis.exists(...UNPREFIXED_QUEUES.map((q) => `rapport:${q}:meta`));
  if (found > 0)
    log.warn(
      'queues from before installation ids exist in Redis under the prefix "rapport". If they belong to this ' +
        "installation (the only one on this Redis), set RAPPORT_QUEUE_PREFIX=rapport to keep sending their jobs.",
    );
}

/**
 * The auto-reply rules. A broken file is reported with its positions and the bot runs without rules (every
 * conversation goes to staff) rather than not at all.
 */
function loadRepliesOrNone(file: string, log: Logger): Replies {
  try {
    return loadReplies(file);
  } catch (error) {
    log.error(`auto-replies off: ${error instanceof Error ? error.message : String(error)}`);
    return { timezone: "UTC", hours: new Map(), rules: [] };
  }
}
