import type { ServerResponse } from "node:http";
import type { FastifyInstance, FastifyReply } from "fastify";

/** A comment line every this many ms keeps proxies from closing a quiet stream. */
export const HEARTBEAT_MS = 15_000;

/** One open Server-Sent Events stream. */
export interface EventStream {
  /** Writes one event: `event: <name>`, `data: <JSON>`, and `id:` when given (what `Last-Event-ID` returns). */
  send(name: string, data: unknown, id?: string): void;
  /** Ends the stream from the server's side (the client's `onClose` runs too). */
  end(): void;
  /** The client went or the stream was ended. */
  readonly closed: boolean;
}

/** Options of {@link eventStreams}. */
export interface EventStreamOptions {
  /** Defaults to {@link HEARTBEAT_MS}. */
  heartbeatMs?: number;
  /** More response headers (the web chat's `access-control-allow-origin`). */
  headers?: Record<string, string>;
}

/**
 * The Server-Sent Events streams of a group of routes (the console's live updates, an import's or a campaign
 * send's progress, the web chat's replies): each answers with the stream's headers (no proxy buffering), a 3 s
 * reconnect hint and a heartbeat comment; every stream still open is ended when the server closes, which would
 * otherwise wait for every open tab.
 */
export function eventStreams(app: FastifyInstance, options: EventStreamOptions = {}) {
  const open = new Set<ServerResponse>();
  app.addHook("preClose", async () => {
    for (const res of open) res.end();
  });
  return {
    /** Hijacks the reply into a stream; `onClose` runs once when the client goes or the stream ends. */
    open(reply: FastifyReply, onClose: () => void = () => {}): EventStream {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store, no-transform",
        connection: "keep-alive",
        // nginx would otherwise buffer the stream and deliver events late
        "x-accel-buffering": "no",
        "x-content-type-options": "nosniff",
        ...options.headers,
      });
      res.flushHeaders();
      res.write("retry: 3000\n\n");
      open.add(res);
      let closed = false;
      const heartbeat = setInterval(() => res.write(": heartbeat\n\n"), options.heartbeatMs ?? HEARTBEAT_MS);
      heartbeat.unref();
      res.on("close", () => {
        closed = true;
        clearInterval(heartbeat);
        open.delete(res);
        onClose();
      });
      return {
        send(name, data, id) {
          if (closed) return;
          res.write(
            `${id === undefined ? "" : `id: ${id}\n`}event: ${name}\ndata: ${JSON.stringify(data)}\n\n`,
          );
        },
        end: () => res.end(),
        get closed() {
          return closed;
        },
      };
    },
  };
}
