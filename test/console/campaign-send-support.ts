import type { FastifyInstance } from "fastify";
import { createResendChannel } from "../../bots/index.ts";
import { compileCampaign, compileSegments } from "../../campaigns/index.ts";
import { systemClock } from "../../lib/clock.ts";
import type { Db, Prisma } from "../../lib/db/index.ts";
import type { Redis } from "../../lib/redis.ts";
import { createTemplateStore } from "../../templates/index.ts";
import { createAudiences, shipCampaign } from "../../workers/index.ts";
import type { FakeResend } from "../fakes/index.ts";
import { startConsole } from "./support.ts";

const MINUTE = 60_000;

/** A daily A/B campaign on email and Telegram, with the promo template. */
export const FLASH = `id: flash
name: Flash sale
trigger: { schedule: { cron: "0 9 * * *", timezone: UTC } }
channels: [email, telegram]
message:
  template: promo
  data: { headline: Flash sale, body: Today only, endsAt: "2026-12-31T16:59:59Z" }
variants:
  - { name: a, weight: 50 }
  - { name: b, weight: 50 }
`;

/** The Deliveries of the running send, by channel and status. */
export const RUN: ReadonlyArray<[channel: "email" | "telegram", status: string, count: number]> = [
  ["email", "planned", 3],
  ["email", "queued", 2],
  ["email", "sent", 5],
  ["email", "failed", 1],
  ["email", "suppressed", 1],
  ["email", "skipped", 2],
  ["telegram", "queued", 1],
  ["telegram", "sent", 2],
  ["telegram", "failed", 1],
];

/**
 * The console with what the campaign page's send needs: templates and link secret (previews), audiences, and
 * `sendEmail` through a real Resend channel pointed at `resend` (the fake).
 */
export async function startSendConsole(db: Db, redis: { redis: Redis; prefix: string }, resend: FakeResend) {
  const { segments } = compileSegments(`vip: country = "ID"\n`, "segments.yaml");
  const channel = createResendChannel({
    apiKey: resend.apiKey,
    baseUrl: resend.baseUrl,
    from: "Toko <shop@toko.example>",
  });
  const { http } = await startConsole({
    db,
    redis: redis.redis,
    redisPrefix: redis.prefix,
    clock: systemClock,
    deps: {
      templates: createTemplateStore(),
      linkSecret: "send-test-link-secret-0123456789abcdef",
      audiences: createAudiences(() => segments),
      segments: () => segments,
      sendEmail: ({ id, ...message }) => channel.send({ deliveryId: id, ...message }, `test-${id}`),
    },
  });
  return http as FastifyInstance;
}

/**
 * Ships {@link FLASH} and writes a send that started `ranAt` (the schedule's cursor) with the Deliveries of
 * {@link RUN} for Siti (alternating variants a and b; the sent ones three in its first minute, the rest in its
 * third), plus four sent a day earlier (the run before). Returns Siti's id.
 */
export async function seedRunningSend(db: Db, ranAt: Date): Promise<string> {
  await shipCampaign(db, compileCampaign(FLASH, "flash.yaml"), FLASH, { activate: true });
  const siti = (
    await db.customer.create({
      data: { name: "Siti Rahma", email: "siti@example.com", country: "ID", locale: "id" },
    })
  ).id;
  await db.channelCursor.create({ data: { key: "campaign:flash:schedule", value: ranAt.toISOString() } });
  const rows: Prisma.DeliveryCreateManyInput[] = [];
  let n = 0;
  for (const [channel, status, count] of RUN) {
    for (let i = 0; i < count; i++, n++) {
      rows.push({
        key: `d/flash/main/${siti}/run-${n}`,
        campaignId: "flash",
        step: "main",
        variant: n % 2 ? "b" : "a",
        customerId: siti,
        channel,
        status: status as "sent",
        createdAt: new Date(ranAt.getTime() + 1_000),
        ...(status === "sent" && { sentAt: new Date(ranAt.getTime() + (i < 3 ? 1 : 3) * MINUTE) }),
      });
    }
  }
  const dayBefore = new Date(ranAt.getTime() - 86_400_000);
  for (let i = 0; i < 4; i++)
    rows.push({
      key: `d/flash/main/${siti}/before-${i}`,
      campaignId: "flash",
      step: "main",
      variant: "a",
      customerId: siti,
      channel: "email",
      status: "sent",
      createdAt: dayBefore,
      sentAt: dayBefore,
    });
  await db.delivery.createMany({ data: rows });
  return siti;
}
