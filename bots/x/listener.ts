import { ApiResponseError, type TwitterApi } from "twitter-api-v2";
import type { Clock } from "../../lib/clock.ts";
import type { Db } from "../../lib/db/index.ts";
import type { Logger } from "../../lib/logger.ts";
import type { InboundHandler, InboundMessage } from "../inbound.ts";
import { recordInboundFailure } from "../inbound-failures.ts";
import { compareIds, cursorKey, readCursor, writeCursor } from "./cursor.ts";
import { X_CREDENTIALS_FIX, xDetail } from "./errors.ts";
import type { XBrand } from "./inbound.ts";
import { RateGate } from "./rate-gate.ts";
import { dmStream, mentionsStream, searchStream, usersOf, XPagePayload, type XStream } from "./streams.ts";

/** Options for {@link createXListener}. */
export interface XListenerOptions {
  /** A client acting as the brand account (OAuth 1.0a user context), e.g. from `createXClient`. */
  client: TwitterApi;
  db: Db;
  /** Receives every mention, DM and keyword hit, oldest first. */
  onMessage: InboundHandler;
  log: Logger;
  /** Decides when rate limits reset and backoffs end. */
  clock: Clock;
  /** Time between polls in ms. Defaults to 60 000: X bills every read, so faster polling costs money. */
  pollIntervalMs?: number;
  /** Words or phrases to listen for in public posts (`search/recent`). None: no search stream. */
  keywords?: string[];
}

/** A running X listener. */
export interface XListener {
  /** Polls now, then every `pollIntervalMs`, until {@link XListener.stop}. */
  start(): void;
  /** Stops polling; resolves when a poll in progress has finished. */
  stop(): Promise<void>;
  /** One poll of every stream. Concurrent calls share the poll in progress. */
  pollOnce(): Promise<void>;
  /**
   * Hands on a kept item again (an `InboundFailure` payload of channel "x"), read as when it was polled;
   * throws when it still cannot be read or stored.
   */
  retry(payload: string): Promise<void>;
}

/** What an `InboundFailure` of channel "x" keeps: the stream, the item as X sent it, and its user. */
interface KeptItem {
  stream: string;
  item: unknown;
  user: unknown;
}

/** A batch being read: pages fetched so far and messages not yet handed on. Survives a 429 mid-way. */
interface Batch {
  /** The stored cursor the batch started from; undefined on the very first run. */
  cursor: string | undefined;
  /** The newest id seen (the first page's newest): the cursor once the batch is handed on. */
  newest?: string;
  token?: string;
  fetched: boolean;
  /** In id order once fetched; an item that could not be read carries why instead of a message. */
  items: Array<{ id: string; kept: KeptItem } & ({ message: InboundMessage } | { unreadable: string })>;
}

/**
 * Polls X for the brand's mentions, its DMs and (with `keywords`) matching public posts, and hands each to
 * `onMessage`. Each stream reads only what is new (`since_id`, or the stored id for DMs), pages until nothing
 * is left, and stores its cursor (`ChannelCursor` "x:<stream>:<brand id>") only after the batch was handed
 * on: a crash re-reads at most that batch, and capture stores each message once. The very first run starts
 * from now: it stores the newest id and captures no history. Rate limits come from X's headers: a route whose
 * window is spent or that answered 429 is not called before `x-rate-limit-reset`; errors back off. An item
 * that cannot be read (no author) or stored is kept in `InboundFailure` with its user and the listener goes
 * on past it; only when even that write fails does the batch wait for the next poll.
 */
export function createXListener(options: XListenerOptions): XListener {
  const log = options.log.child({ component: "x-listener", channel: "x" });
  const interval = options.pollIntervalMs ?? 60_000;
  const gate = new RateGate(options.clock);
  const batches = new Map<string, Batch>();
  let streams: { brand: XBrand; list: XStream[] } | undefined;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;

  /** Logs a failed call and closes its route: until the reset on 429, for a backoff otherwise. */
  function failed(route: string, error: unknown): void {
    if (error instanceof ApiResponseError && error.code === 429) {
      const waitMs = gate.rateLimited(route, error.rateLimit?.reset);
      log.warn({ route, waitMs, reset: error.rateLimit?.reset }, "X rate limit hit: waiting for the reset");
      return;
    }
    const waitMs = gate.failed(route);
    if (error instanceof ApiResponseError && (error.code === 401 || error.code === 403)) {
      log.error(
        { route, status: error.code, waitMs },
        `X refused the listener's credentials (${error.code} ${xDetail(error)}): ${X_CREDENTIALS_FIX}`,
      );
      return;
    }
    log.warn({ route, err: error, waitMs }, "X call failed: retrying after a backoff");
  }

  async function resolveStreams(): Promise<typeof streams> {
    if (streams) return streams;
    const route = "GET /2/users/me";
    if (gate.waitMs(route) > 0) return undefined;
    try {
      const me = await options.client.v2.get("users/me", {}, { fullResponse: true });
      gate.succeeded(route, me.rateLimit);
      const data = (me.data as { data?: { id?: unknown; username?: unknown } }).data;
      if (typeof data?.id !== "string" || typeof data.username !== "string") {
        log.error({ raw: me.data }, "X users/me answered without an id and username: skipping this poll");
        gate.failed(route);
        return undefined;
      }
      const brand = { id: data.id, username: data.username };
      const list = [mentionsStream(options.client, brand, options.keywords), dmStream(options.client, brand)];
      if (options.keywords?.length) list.push(searchStream(options.client, brand, options.keywords));
      log.info({ brand: brand.username, streams: list.map((s) => s.name) }, "X listener ready");
      streams = { brand, list };
      return streams;
    } catch (error) {
      failed(route, error);
      return undefined;
    }
  }

  /** Fetches the batch's remaining pages. Returns false when a call failed (the batch waits for a later poll). */
  async function fetchPages(stream: XStream, batch: Batch): Promise<boolean> {
    const firstRun = batch.cursor === undefined;
    while (!batch.fetched) {
      if (gate.waitMs(stream.route) > 0) return false;
      let response: Awaited<ReturnType<XStream["fetch"]>>;
      try {
        response = await stream.fetch({
          sinceId: stream.sinceId && batch.cursor ? batch.cursor : undefined,
          token: batch.token,
          maxResults: firstRun ? stream.firstRunPageSize : stream.pageSize,
        });
      } catch (error) {
        failed(stream.route, error);
        return false;
      }
      gate.succeeded(stream.route, response.rateLimit);
      const page = XPagePayload.safeParse(response.data);
      if (!page.success) {
        log.error(
          { stream: stream.name, raw: response.data },
          "X answered a page that is not a page: skipped",
        );
        gate.failed(stream.route);
        return false;
      }
      const data = page.data.data ?? [];
      batch.newest ??= page.data.meta?.newest_id ?? idOf(data[0]);
      // the very first run only learns where "now" is: history before the listener existed is not captured
      if (firstRun) break;
      const users = usersOf(page.data);
      let reachedCursor = false;
      for (const item of data) {
        const id = idOf(item);
        if (id !== undefined && batch.cursor && compareIds(id, batch.cursor) <= 0) {
          reachedCursor = true;
          continue;
        }
        const result = stream.normalise(item, { users, now: options.clock.now() });
        const kept = { stream: stream.name, item, user: users.get(stream.userIdOf(item) ?? "") ?? null };
        if ("skip" in result) {
          if (result.quiet) {
            log.debug({ stream: stream.name, id, reason: result.skip }, "X item skipped");
            continue;
          }
          // not readable as it came: kept, so nothing X sent is lost once the cursor moves past it
          batch.items.push({ id: id ?? "0", kept, unreadable: result.skip });
          continue;
        }
        batch.items.push({ id: id ?? "0", kept, message: result.message });
      }
      batch.token = page.data.meta?.next_token;
      if (!batch.token || reachedCursor) batch.fetched = true;
    }
    batch.fetched = true;
    return true;
  }

  async function pollStream(stream: XStream, brand: XBrand): Promise<void> {
    const key = cursorKey(stream.name, brand.id);
    let batch = batches.get(stream.name);
    if (!batch) {
      if (gate.waitMs(stream.route) > 0) return;
      batch = { cursor: await readCursor(options.db, key), fetched: false, items: [] };
      batches.set(stream.name, batch);
    }
    if (!(await fetchPages(stream, batch))) return;
    // oldest first, so conversations and auto-replies follow the order customers wrote in
    batch.items.sort((a, b) => compareIds(a.id, b.id));
    while (batch.items.length > 0) {
      const next = batch.items[0]!;
      try {
        if ("unreadable" in next) throw new Error(`X ${stream.name} item not readable: ${next.unreadable}`);
        await options.onMessage(next.message);
      } catch (error) {
        const sourceKey =
          "message" in next ? next.message.externalId : keyOf(stream.name, idOf(next.kept.item));
        log.error(
          { err: error, stream: stream.name, sourceKey },
          "X item not stored: kept in InboundFailure",
        );
        try {
          const now = new Date(options.clock.now());
          await recordInboundFailure(options.db, { channel: "x", sourceKey, payload: next.kept, error }, now);
        } catch (keepError) {
          // keep the rest in memory: the next poll retries them without reading X again
          log.error({ err: keepError, stream: stream.name, sourceKey }, "X item not kept either");
          return;
        }
      }
      batch.items.shift();
    }
    const value = batch.newest ?? batch.cursor ?? "";
    if (value !== batch.cursor && (!batch.cursor || !batch.newest || compareIds(value, batch.cursor) > 0)) {
      await writeCursor(options.db, key, value);
    }
    batches.delete(stream.name);
  }

  async function poll(): Promise<void> {
    const resolved = await resolveStreams();
    if (!resolved) return;
    for (const stream of resolved.list) {
      try {
        await pollStream(stream, resolved.brand);
      } catch (error) {
        // a database error must not stop the other streams or the loop
        log.error({ err: error, stream: stream.name }, "X stream poll failed");
      }
    }
  }

  async function retry(payload: string): Promise<void> {
    const kept = JSON.parse(payload) as KeptItem;
    const resolved = await resolveStreams();
    if (!resolved) throw new Error("X is not reachable (users/me failed): try again later");
    const stream = resolved.list.find((s) => s.name === kept.stream);
    if (!stream) throw new Error(`no X stream "${kept.stream}" runs here`);
    const users = usersOf({ includes: { users: kept.user ? [kept.user] : [] } });
    const result = stream.normalise(kept.item, { users, now: options.clock.now() });
    if ("skip" in result) throw new Error(`X ${stream.name} item not readable: ${result.skip}`);
    await options.onMessage(result.message);
  }

  function pollOnce(): Promise<void> {
    running ??= poll().finally(() => {
      running = undefined;
    });
    return running;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      void pollOnce().then(schedule);
    }, interval);
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      void pollOnce().then(schedule);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
    pollOnce,
    retry,
  };
}

function idOf(item: unknown): string | undefined {
  const id = (item as { id?: unknown } | null)?.id;
  return typeof id === "string" ? id : undefined;
}

/** The key an unreadable item is kept under: the id its message would have had (DMs are "dm:<id>"). */
function keyOf(stream: string, id: string | undefined): string | undefined {
  if (id === undefined) return undefined;
  return stream === "dms" ? `dm:${id}` : id;
}
