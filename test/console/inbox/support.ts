import { randomInt } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { type ConsoleDeps, createLiveHub, type LiveHub, registerConsole } from "../../../console/index.ts";
import type { ChannelName } from "../../../lib/channels.ts";
import { type Clock, systemClock } from "../../../lib/clock.ts";
import type { Db } from "../../../lib/db/index.ts";
import { createHttpServer } from "../../../lib/http.ts";
import { silentLogger } from "../../../lib/logger.ts";
import type { Redis } from "../../../lib/redis.ts";
import type { QueueContext } from "../../../workers/index.ts";

/** Options of {@link startInboxConsole}. */
export interface InboxConsoleOptions {
  db: Db;
  redis: Redis;
  prefix: string;
  clock?: Clock;
  segmentsOf?: ConsoleDeps["segmentsOf"];
  closeConversation?: ConsoleDeps["closeConversation"];
}

/** The console as `rapport start` builds it for the inbox: queues to reply on, and a live hub over Redis. */
export async function startInboxConsole(options: InboxConsoleOptions): Promise<{
  http: FastifyInstance;
  deps: ConsoleDeps;
  live: LiveHub;
  queues: QueueContext;
}> {
  const live = createLiveHub({ redis: options.redis, prefix: options.prefix, log: silentLogger });
  const queues: QueueContext = { connection: options.redis, prefix: options.prefix };
  const deps: ConsoleDeps = {
    db: options.db,
    redis: options.redis,
    redisPrefix: options.prefix,
    clock: options.clock ?? systemClock,
    log: silentLogger,
    publicUrl: "http://localhost:3000",
    brandName: "Toko Rapport",
    queues,
    live,
    segmentsOf: options.segmentsOf,
    closeConversation: options.closeConversation,
  };
  const http = createHttpServer({ log: silentLogger });
  await registerConsole(http, deps);
  await http.ready();
  return { http, deps, live, queues };
}

/** A message of {@link addConversation}. */
export interface SeedMessage {
  text: string;
  sentAt: Date;
  direction?: "inbound" | "outbound";
  author?: "customer" | "bot" | "staff";
  internal?: boolean;
}

/** What {@link addConversation} stores. */
export interface SeedConversation {
  channel?: ChannelName;
  /** Defaults to a random chat id. */
  threadRef?: string | null;
  name?: string | null;
  locale?: string;
  timezone?: string | null;
  email?: string;
  status?: "open" | "pending" | "closed";
  assigneeId?: string | null;
  unreadCount?: number;
  snoozedUntil?: Date | null;
  lastMessageAt: Date;
  handle?: string;
  messages?: SeedMessage[];
}

/** A customer with an identity on the channel, a conversation and its messages, as capture would leave them. */
export async function addConversation(
  db: Db,
  seed: SeedConversation,
): Promise<{ customerId: string; conversationId: string; threadRef: string | null }> {
  const channel = seed.channel ?? "telegram";
  const externalId = String(randomInt(1e6, 1e9));
  const threadRef = seed.threadRef === undefined ? externalId : seed.threadRef;
  const customer = await db.customer.create({
    data: {
      name: seed.name === undefined ? "Siti Rahma" : seed.name,
      locale: seed.locale ?? "en",
      timezone: seed.timezone ?? null,
      email: seed.email ?? null,
      identities: {
        create: { channel, externalId, handle: seed.handle ?? null, displayName: seed.name ?? null },
      },
    },
  });
  const conversation = await db.conversation.create({
    data: {
      customerId: customer.id,
      channel,
      threadRef,
      status: seed.status ?? "open",
      assigneeId: seed.assigneeId ?? null,
      unreadCount: seed.unreadCount ?? 0,
      snoozedUntil: seed.snoozedUntil ?? null,
      lastMessageAt: seed.lastMessageAt,
      handedOver: true,
    },
  });
  for (const [i, message] of (seed.messages ?? []).entries()) {
    await db.interaction.create({
      data: {
        customerId: customer.id,
        conversationId: conversation.id,
        channel,
        direction: message.direction ?? "inbound",
        author: message.author ?? "customer",
        externalId: `${externalId}:${i + 1}`,
        text: message.text,
        sentAt: message.sentAt,
        internal: message.internal ?? false,
      },
    });
  }
  return { customerId: customer.id, conversationId: conversation.id, threadRef };
}

/** The ids of the conversations listed on an inbox page, in order. */
export function listedIds(html: string): string[] {
  return [...html.matchAll(/id="conv-([0-9a-f-]{36})"/g)].map((m) => m[1]!);
}

/** The `after` cursor of the "Older conversations" link, if the page has one. */
export function nextCursor(html: string): string | undefined {
  return /after=([\w-]+)" rel="next"/.exec(html)?.[1];
}
