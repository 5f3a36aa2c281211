import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

/** Discord's global limit: 50 requests per second per bot, whatever the route. */
export const DISCORD_GLOBAL_PER_SECOND = 50;

/** Discord's global limit in front of a fake Discord REST API (test/fakes/discord.ts keeps only per-route buckets). */
export interface DiscordGlobalLimit {
  /** Pass to discord.js as `rest: { api: restUrl }`, as the fake's own `restUrl`. */
  readonly restUrl: string;
  /** 429s this proxy answered (global ones; the fake behind counts its per-route ones). */
  readonly limited: () => number;
  /** When each request arrived (performance.now(), ms), answered or refused. */
  readonly arrivals: number[];
  close(): Promise<void>;
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A loopback proxy that lets at most `perSecond` requests through in any sliding second, answering the rest
 * as Discord answers a bot over its global limit: 429 with `{ message, retry_after, global: true, code: 0 }`,
 * `Retry-After`, `X-RateLimit-Global: true` and `X-RateLimit-Scope: global`. Everything else is passed to
 * `targetRestUrl` (the fake's `restUrl`) and its answer passed back, headers and all.
 */
export async function startDiscordGlobalLimit(
  targetRestUrl: string,
  perSecond = DISCORD_GLOBAL_PER_SECOND,
): Promise<DiscordGlobalLimit> {
  const recent: number[] = [];
  let limited = 0;
  const arrivals: number[] = [];
  const target = targetRestUrl.replace(/\/$/, "");
  const origin = new URL(target).origin;
  const server = createServer(async (req, res) => {
    const now = performance.now();
    arrivals.push(now);
    while (recent.length > 0 && (recent[0] ?? 0) <= now - 1_000) recent.shift();
    if (recent.length >= perSecond) {
      limited++;
      const retryAfter = Math.max(0.001, ((recent[0] ?? now) + 1_000 - now) / 1_000);
      res.writeHead(429, {
        "content-type": "application/json",
        "retry-after": String(Math.ceil(retryAfter)),
        "x-ratelimit-global": "true",
        "x-ratelimit-scope": "global",
      });
      res.end(
        JSON.stringify({
          message: "You are being rate limited.",
          retry_after: Number(retryAfter.toFixed(3)),
          global: true,
          code: 0,
        }),
      );
      return;
    }
    recent.push(now);
    try {
      const body = await bodyOf(req);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value === undefined || name === "host" || name === "content-length" || name === "connection")
          continue;
        headers.set(name, Array.isArray(value) ? value.join(", ") : value);
      }
      const answer = await fetch(`${origin}${req.url ?? "/"}`, {
        method: req.method ?? "GET",
        headers,
        ...(body.length > 0 ? { body: new Uint8Array(body) } : {}),
      });
      const out: Record<string, string> = {};
      answer.headers.forEach((value, name) => {
        if (name !== "content-length" && name !== "transfer-encoding" && name !== "connection")
          out[name] = value;
      });
      res.writeHead(answer.status, out);
      res.end(Buffer.from(await answer.arrayBuffer()));
    } catch (error) {
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: (error as Error).message, code: 0 }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const path = new URL(target).pathname;
  return {
    restUrl: `http://127.0.0.1:${port}${path === "/" ? "" : path}`,
    limited: () => limited,
    arrivals,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
