import type { Platform } from "../platform.ts";
import { createXChannel } from "./channel.ts";
import { createXClient } from "./client.ts";
import { createXListener, type XListener } from "./listener.ts";

/**
 * X (Twitter): a listener polling mentions, DMs and keyword searches with `since_id`, and a channel replying
 * or writing DMs. Live when all four OAuth 1.0a credentials (X_APP_KEY, X_APP_SECRET, X_ACCESS_TOKEN,
 * X_ACCESS_SECRET) are set.
 */
export const x: Platform<"x"> = {
  name: "x",
  configKeys: [
    "X_APP_KEY",
    "X_APP_SECRET",
    "X_ACCESS_TOKEN",
    "X_ACCESS_SECRET",
    "X_API_ROOT",
    "X_KEYWORDS",
    "X_POLL_INTERVAL",
  ],
  live: (config) =>
    Boolean(config.X_APP_KEY && config.X_APP_SECRET && config.X_ACCESS_TOKEN && config.X_ACCESS_SECRET),
  create({ config, log, clock, db, onMessage, retries, live }) {
    if (
      !live ||
      !config.X_APP_KEY ||
      !config.X_APP_SECRET ||
      !config.X_ACCESS_TOKEN ||
      !config.X_ACCESS_SECRET
    )
      return {};
    const client = createXClient({
      appKey: config.X_APP_KEY,
      appSecret: config.X_APP_SECRET,
      accessToken: config.X_ACCESS_TOKEN,
      accessSecret: config.X_ACCESS_SECRET,
      apiRoot: config.X_API_ROOT,
    });
    let listener: XListener | undefined;
    return {
      channel: createXChannel(client, { clock }),
      async start() {
        const keywords = (config.X_KEYWORDS ?? "")
          .split(",")
          .map((k) => k.trim())
          .filter(Boolean);
        const started = createXListener({
          client,
          db,
          onMessage,
          log,
          clock,
          pollIntervalMs: config.X_POLL_INTERVAL * 1000,
          keywords,
        });
        listener = started;
        retries?.register("x", (payload) => started.retry(payload));
        started.start();
        log.info({ keywords }, "x listener polling");
      },
      async stop() {
        await listener?.stop();
      },
    };
  },
};
