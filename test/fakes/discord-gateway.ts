import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { type WebSocket, WebSocketServer } from "ws";

/** The gateway opcodes the fake speaks. */
const OP = {
  dispatch: 0,
  heartbeat: 1,
  identify: 2,
  resume: 6,
  reconnect: 7,
  invalidSession: 9,
  hello: 10,
  heartbeatAck: 11,
} as const;

/** One dispatch the gateway sent (or holds for a resume), with its sequence number. */
export interface GatewayEvent {
  s: number;
  t: string;
  d: unknown;
}

/** What a client sent in IDENTIFY, for assertions on intents and token. */
export interface GatewayIdentify {
  token: string;
  intents: number;
  compress: boolean;
  shard?: [number, number];
}

/** What the gateway needs from the rest of the fake. */
export interface GatewaySetup {
  token: string;
  /** Intents the bot may use; MESSAGE_CONTENT (1 << 15) is privileged and refused unless enabled. */
  allowedIntents: number;
  heartbeatIntervalMs: number;
  /** The READY payload for a new session (session_id and resume_gateway_url are added). */
  ready: () => Record<string, unknown>;
  /** Dispatches sent right after READY, e.g. GUILD_CREATE for each guild. */
  afterReady: () => Array<{ t: string; d: unknown }>;
  /** Called on every change a test may wait for. */
  notify: () => void;
}

interface Session {
  id: string;
  seq: number;
  /** Every dispatch of the session, for replay on RESUME. */
  events: GatewayEvent[];
  socket?: WebSocket;
}

/**
 * The fake gateway: a `ws` server on the REST server's port at `/gateway`, JSON encoding without compression.
 * It keeps one session's events so a client that drops and RESUMEs gets exactly what it missed.
 */
export class FakeGateway {
  readonly identifies: GatewayIdentify[] = [];
  readonly resumes: Array<{ sessionId: string; seq: number }> = [];
  /** Every payload a client sent, in order, as parsed JSON. */
  readonly received: unknown[] = [];
  /** How many times a session became READY or RESUMED. */
  readyCount = 0;
  resumedCount = 0;
  #session: Session | undefined;
  readonly #wss: WebSocketServer;

  constructor(
    server: Server,
    private readonly setup: GatewaySetup,
  ) {
    this.#wss = new WebSocketServer({ server, path: "/gateway" });
    this.#wss.on("connection", (socket, request) => this.#accept(socket, request.url ?? ""));
  }

  /** True while a client is connected and identified or resumed. */
  get connected(): boolean {
    return this.#session?.socket !== undefined;
  }

  /**
   * Sends a dispatch on the current session, or keeps it for the client's RESUME while it is away. Before any
   * bot has identified there is no session and, as on Discord, nobody receives the event: undefined.
   */
  dispatch(t: string, d: unknown): GatewayEvent | undefined {
    const session = this.#session;
    if (session === undefined) return undefined;
    session.seq += 1;
    const event = { s: session.seq, t, d };
    session.events.push(event);
    session.socket?.send(JSON.stringify({ op: OP.dispatch, ...event }));
    return event;
  }

  /** Closes the connection with `code` (4000 "unknown error" lets the client resume). Events sent meanwhile are replayed on RESUME. */
  drop(code = 4000, reason = "Unknown error"): void {
    const socket = this.#session?.socket;
    if (this.#session) this.#session.socket = undefined;
    socket?.close(code, reason);
  }

  /** Sends op 7 RECONNECT, as Discord does before moving a session: the client closes and resumes. */
  requestReconnect(): void {
    const socket = this.#session?.socket;
    if (this.#session) this.#session.socket = undefined;
    socket?.send(JSON.stringify({ op: OP.reconnect, d: null }));
  }

  async close(): Promise<void> {
    for (const client of this.#wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  #accept(socket: WebSocket, url: string): void {
    const query = new URL(url, "ws://localhost").searchParams;
    // the fake speaks only JSON text frames: a client asking for zlib or etf would get frames it cannot read
    if (query.get("encoding") !== "json" || query.has("compress") || query.get("v") !== "10") {
      socket.close(4012, "Invalid API version or encoding: the fake speaks v=10&encoding=json, uncompressed");
      return;
    }
    let authenticated = false;
    socket.send(JSON.stringify({ op: OP.hello, d: { heartbeat_interval: this.setup.heartbeatIntervalMs } }));
    socket.on("message", (data) => {
      let payload: { op?: unknown; d?: unknown };
      try {
        payload = JSON.parse(String(data)) as { op?: unknown; d?: unknown };
      } catch {
        socket.close(4002, "Error while decoding payload.");
        return;
      }
      this.received.push(payload);
      if (payload.op === OP.heartbeat) {
        socket.send(JSON.stringify({ op: OP.heartbeatAck }));
        return;
      }
      if (payload.op === OP.identify || payload.op === OP.resume) {
        if (authenticated) {
          socket.close(4005, "Already authenticated.");
          return;
        }
        authenticated =
          payload.op === OP.identify
            ? this.#identify(socket, payload.d as GatewayIdentify)
            : this.#resume(socket, payload.d as { token: string; session_id: string; seq: number });
        return;
      }
      if (!authenticated) {
        socket.close(4003, "Not authenticated.");
        return;
      }
      // presence and voice updates are accepted and ignored
    });
    socket.on("close", () => {
      if (this.#session?.socket === socket) this.#session.socket = undefined;
      this.setup.notify();
    });
  }

  #identify(socket: WebSocket, identify: GatewayIdentify): boolean {
    this.identifies.push(identify);
    if (identify.token !== this.setup.token) {
      socket.close(4004, "Authentication failed.");
      return false;
    }
    if ((identify.intents & ~this.setup.allowedIntents) !== 0) {
      socket.close(4014, "Disallowed intent(s).");
      return false;
    }
    // a new IDENTIFY starts a new session: Discord forgets the old one's events
    const session: Session = { id: randomBytes(16).toString("hex"), seq: 0, events: [], socket };
    this.#session = session;
    const resumeUrl = `ws://127.0.0.1:${(this.#wss.address() as { port: number }).port}/gateway`;
    this.dispatch("READY", { ...this.setup.ready(), session_id: session.id, resume_gateway_url: resumeUrl });
    for (const event of this.setup.afterReady()) this.dispatch(event.t, event.d);
    this.readyCount += 1;
    this.setup.notify();
    return true;
  }

  #resume(socket: WebSocket, resume: { token: string; session_id: string; seq: number }): boolean {
    this.resumes.push({ sessionId: resume.session_id, seq: resume.seq });
    const session = this.#session;
    if (resume.token !== this.setup.token || session === undefined || session.id !== resume.session_id) {
      // d=false: the session cannot be resumed, the client must IDENTIFY again
      socket.send(JSON.stringify({ op: OP.invalidSession, d: false }));
      return false;
    }
    session.socket = socket;
    for (const event of session.events.filter((e) => e.s > resume.seq)) {
      socket.send(JSON.stringify({ op: OP.dispatch, ...event }));
    }
    this.dispatch("RESUMED", null);
    this.resumedCount += 1;
    this.setup.notify();
    return true;
  }
}
