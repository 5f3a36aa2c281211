import type { Clock } from "../../lib/clock.ts";
import type { Db } from "../../lib/db/index.ts";
import type { Logger } from "../../lib/logger.ts";
import type { InboundHandler } from "../inbound.ts";
import type { WebchatHub } from "./hub.ts";

/** Dependencies of the web chat's HTTP surface. */
export interface WebchatOptions {
  db: Db;
  /** The conversation core: stores (and answers) each visitor message. */
  onMessage: InboundHandler;
  /** Called when a visitor leaves an email: the core merges the anonymous customer into the known one. */
  onIdentify: (visitorId: string, email: string) => Promise<void>;
  /** HMAC key of visitor tokens. Changing it signs every visitor out (their widget starts a new session). */
  secret: string;
  /** Shown in the widget's title on the demo page ("Chat with Acme"). */
  brandName: string;
  /** Where browsers reach this server, without a trailing slash: the demo page's embed snippet uses it. */
  publicUrl: string;
  log: Logger;
  clock: Clock;
  /** The hub outbound messages go through. Defaults to a new in-memory hub (returned by registerWebchat). */
  hub?: WebchatHub;
  /** Interval of SSE heartbeat comments, in ms. Defaults to 20 000 (under common 30–60 s proxy timeouts). */
  heartbeatMs?: number;
}
