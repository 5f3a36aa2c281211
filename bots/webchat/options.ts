import type { Clock } from "../../lib/clock.ts";
import type { Db } from "../../lib/db/index.ts";
import type { Logger } from "../../lib/logger.ts";
import type { Redis } from "../../lib/redis.ts";
import type { InboundHandler } from "../inbound.ts";
import type { SendReply } from "../reply.ts";
import type { WebchatHub } from "./hub.ts";

/** Dependencies of the web chat's HTTP surface. */
export interface WebchatOptions {
  db: Db;
  /** The conversation core: stores (and answers) each visitor message. */
  onMessage: InboundHandler;
  /**
   * Queues the bot's own messages as transactional Deliveries (`queueReply`): here, the code that proves an
   * email a visitor leaves. Until the code is typed back the email is only a claim: nothing is merged.
   */
  sendReply: SendReply;
  /**
   * HMAC key of double opt-in links (the link secret, as unsubscribe links): with it, `POST
   * /webchat/api/subscribe` sends a visitor a link to confirm email offers; without it that endpoint is 404.
   */
  linkSecret?: string;
  /** HMAC key of visitor tokens. Changing it signs every visitor out (their widget starts a new session). */
  secret: string;
  /**
   * Told when a visitor proves an email (merged into its owner when another customer held it): the console
   * renames their conversations live, from "Visitor from …" to the email.
   */
  onIdentified?: (customerId: string) => void;
  /** Shown in the widget's title on the demo page ("Chat with Acme"). */
  brandName: string;
  /** Where browsers reach this server, without a trailing slash: the demo page's embed snippet uses it. */
  publicUrl: string;
  log: Logger;
  clock: Clock;
  /** The hub outbound messages go through. Defaults to a new in-memory hub (returned by registerWebchat). */
  hub?: WebchatHub;
  /**
   * Per-client request limits. Counted in Redis when `redis` is given (shared by every `rapport start`
   * behind a load balancer), else in this process.
   */
  limits?: Partial<WebchatLimits>;
  redis?: Redis;
  /** Prefix of the Redis keys of the limits (the queue prefix). */
  redisPrefix?: string;
  /** Interval of SSE heartbeat comments, in ms. Defaults to 20 000 (under common 30–60 s proxy timeouts). */
  heartbeatMs?: number;
}

/** How often one client may call the web chat API. */
export interface WebchatLimits {
  /** New visitor sessions per IP address per minute: stops a script from minting customers. */
  sessionsPerMinute: number;
  /** Messages per visitor per minute: a person types far fewer; a flood is refused with 429. */
  messagesPerMinute: number;
  /**
   * Identify and verify calls per visitor per minute. Codes sent and attempts per code have their own limits
   * (bots/verification.ts); this only keeps a script from hammering the endpoints.
   */
  verifyPerMinute: number;
}

/** Generous for people, tight for scripts. */
export const DEFAULT_WEBCHAT_LIMITS: WebchatLimits = {
  sessionsPerMinute: 20,
  messagesPerMinute: 30,
  verifyPerMinute: 10,
};
