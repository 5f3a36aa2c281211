import { configuredOrGeneratedSecret } from "../../lib/secrets.ts";
import type { Platform } from "../platform.ts";
import { createWebchatChannel } from "./channel.ts";
import { createWebchatHub } from "./hub.ts";
import { shareWebchatHub } from "./redis-hub.ts";
import { registerWebchat } from "./register.ts";

/**
 * The web chat widget: its routes (script, API, reply stream) are always served; replies reach visitors through
 * a hub shared over Redis. Needs no credentials, so it is live except in `rapport demo`.
 */
export const webchat: Platform<"webchat"> = {
  name: "webchat",
  configKeys: ["PUBLIC_URL", "BRAND_NAME", "RAPPORT_LINK_SECRET"],
  live: () => true,
  create(context) {
    const { config, log, clock, db, redis, redisPrefix } = context;
    // shared through Redis: a reply sent by a `rapport worker` elsewhere reaches the stream this process holds
    const hub = shareWebchatHub(createWebchatHub({ clock }), { redis, prefix: redisPrefix, log });
    return {
      ...(context.live && { channel: createWebchatChannel(hub) }),
      async registerRoutes(http) {
        await registerWebchat(http, {
          db,
          onMessage: context.onMessage,
          sendReply: context.sendReply,
          secret: configuredOrGeneratedSecret(undefined, config.dataDir, "webchat-secret").value,
          // the same secret as cli/app.ts gives the confirm page: the web chat's double opt-in links verify there
          linkSecret: configuredOrGeneratedSecret(config.RAPPORT_LINK_SECRET, config.dataDir, "link-secret")
            .value,
          brandName: config.BRAND_NAME,
          publicUrl: config.PUBLIC_URL,
          log,
          clock,
          hub,
          redis,
          redisPrefix,
          onIdentified: context.onIdentified,
        });
      },
      close: () => hub.close(),
    };
  },
};
