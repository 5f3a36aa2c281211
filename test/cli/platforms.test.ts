import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { InboundRetries } from "../../bots/index.ts";
import { PLATFORMS, type Platform } from "../../bots/platforms.ts";
import { createPlatforms, type PlatformDeps } from "../../cli/platforms.ts";
import { SENDING_CHANNEL_NAMES } from "../../lib/channels.ts";
import { systemClock } from "../../lib/clock.ts";
import { loadConfig } from "../../lib/config.ts";
import { silentLogger } from "../../lib/logger.ts";
import { createTemplateStore } from "../../templates/index.ts";
import { renderDelivery } from "../../workers/render.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";

const database = useTestDatabase();
const redis = useTestRedis();

function deps(env: Record<string, string>, outboxOnly = false): PlatformDeps {
  return {
    config: loadConfig({ RAPPORT_DATA_DIR: mkdtempSync(path.join(tmpdir(), "rapport-platforms-")), ...env }),
    log: silentLogger,
    clock: systemClock,
    db: database.db,
    redis: redis.redis,
    onMessage: async () => {},
    retries: new InboundRetries(),
    sendReply: async () => {},
    outboxOnly,
    redisPrefix: redis.prefix,
  };
}

describe("the platform registry (bots/platforms.ts)", () => {
  it("lists every sending channel exactly once", () => {
    const names = PLATFORMS.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual([...SENDING_CHANNEL_NAMES].sort());
  });

  it("gives createPlatforms one channel per listed platform: the provider where live, the outbox elsewhere", async () => {
    const platforms = createPlatforms(deps({ RESEND_API_KEY: "re_test_key" }));
    try {
      // one deliver-<channel> queue each: a channel without a platform would never send
      expect(platforms.channels.map((c) => c.name)).toEqual([...SENDING_CHANNEL_NAMES]);
      // email has its key and the web chat needs none; the chat bots, WhatsApp and SMS have no credentials
      expect([...platforms.outboxOnly].sort()).toEqual(["discord", "sms", "telegram", "whatsapp", "x"]);
      expect(platforms.listening).toEqual([]);
    } finally {
      await platforms.close();
    }
  });

  it("sends everything to the outbox in `rapport demo`, whatever credentials are set", async () => {
    const platforms = createPlatforms(deps({ RESEND_API_KEY: "re_test_key" }, true));
    try {
      expect([...platforms.outboxOnly].sort()).toEqual([...SENDING_CHANNEL_NAMES].sort());
    } finally {
      await platforms.close();
    }
  });

  it("gives the outbox standing in for email the email platform's hooks: a bot's reply is an email reply", async () => {
    const platforms = createPlatforms(deps({}, true));
    try {
      const outbox = platforms.channels.find((c) => c.name === "email")!;
      const message = renderDelivery(
        { templates: createTemplateStore(), publicUrl: "https://crm.shop.test", unsubscribeSecret: "s" },
        outbox,
        {
          id: "00000000-0000-4000-8000-000000000001",
          kind: "transactional",
          channel: "email",
          customerId: "00000000-0000-4000-8000-000000000002",
          template: null,
          locale: "pl",
          data: { text: "Jesteśmy zamknięci." },
          recipient: "jan@example.com",
          customer: { timezone: "Europe/Warsaw" },
        },
      );
      expect(message).toMatchObject({
        subject: "Odpowiedź na Twoją wiadomość",
        headers: { "Auto-Submitted": "auto-replied" },
        html: "<p>Jesteśmy zamknięci.</p>",
      });
    } finally {
      await platforms.close();
    }
  });

  it("reports a platform whose start throws and starts the others", async () => {
    const started: string[] = [];
    const lines: Array<{ msg: string; platform?: string }> = [];
    const log = pino({ level: "error" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const failing: Platform = {
      name: "telegram",
      configKeys: [],
      live: () => true,
      create: () => ({ start: () => Promise.reject(new Error("token refused")) }),
    };
    const working: Platform = {
      name: "discord",
      configKeys: [],
      live: () => true,
      create: () => ({ start: async () => void started.push("discord") }),
    };
    const platforms = createPlatforms({ ...deps({}), log }, [failing, working]);
    await platforms.start();
    expect(started).toEqual(["discord"]);
    expect(lines).toEqual([expect.objectContaining({ platform: "telegram", msg: "telegram did not start" })]);
  });
});
