import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createResendChannel } from "../../bots/index.ts";
import {
  type CompiledCampaign,
  type ConsentPolicy,
  compileCampaign,
  loadCampaigns,
  noSegments,
} from "../../campaigns/index.ts";
import { manualClock } from "../../lib/clock.ts";
import { Prisma } from "../../lib/db/index.ts";
import { silentLogger } from "../../lib/logger.ts";
import { createTemplateStore } from "../../templates/index.ts";
import { deliverOne } from "../../workers/deliver.ts";
import {
  type CampaignRegistry,
  closeQueues,
  createAudiences,
  createCampaignRegistry,
  fanOut,
  type QueueContext,
  shipCampaign,
} from "../../workers/index.ts";
import { type FakeResend, startFakeResend } from "../fakes/index.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";

// The Found of issue 13: no marketing email without consent under opt-in; under opt-out until refused.
const database = useTestDatabase();
const redis = useTestRedis();
const NOW = new Date("2026-12-04T10:30:00Z");
const clock = manualClock(NOW.getTime());
const OPT_IN: ConsentPolicy = { default: "opt-in", channels: {}, countries: {} };
const OPT_OUT: ConsentPolicy = { default: "opt-out", channels: {}, countries: {} };
const PROMO = compileCampaign(
  `id: consent-promo
name: Consent promo
trigger: { schedule: { at: 2026-12-04T10:00:00, timezone: UTC } }
audience: orders >= 0
channels: [email]
message: { template: win-back, data: { discount: 15, coupon: WB-1, validUntil: 2026-12-18T22:59:59Z } }
`,
  "consent-promo.yaml",
);
let resend: FakeResend;
let queues: QueueContext;
const registries: CampaignRegistry[] = [];

beforeAll(async () => {
  resend = await startFakeResend({ rateLimit: 100 });
  queues = { connection: redis.redis, prefix: redis.prefix };
  await shipCampaign(database.db, PROMO, "", { activate: true });
});
afterAll(async () => {
  for (const registry of registries) registry.close();
  await closeQueues(queues);
  await resend?.close();
});

let seq = 0;
async function customer(consent: Prisma.InputJsonValue, country?: string) {
  return database.db.customer.create({
    data: { email: `c${++seq}@example.com`, locale: "en", consent, ...(country && { country }) },
  });
}

describe("the consent policy", () => {
  it("plans marketing only for granted consent under opt-in, and for everyone not refusing under opt-out", async () => {
    const granted = await customer({ email: { status: "granted", at: NOW.toISOString(), via: "shopify" } });
    const silent = await customer({});
    const denied = await customer({ email: { status: "denied", at: NOW.toISOString(), via: "chat_stop" } });
    const plan = async (campaign: CompiledCampaign, occurrence: string) => {
      await fanOut(
        { db: database.db, queues, clock, log: silentLogger },
        {
          campaign,
          versionId: null,
          where: createAudiences(() => noSegments("segments.yaml")).sql(campaign, NOW),
          occurrence: Prisma.sql`${occurrence}::text`,
          due: Prisma.sql`${NOW}::timestamptz`,
          defaultZone: "UTC",
          brand: { name: "Acme", url: "https://acme.example" },
          now: NOW,
        },
      );
      const rows = await database.db.delivery.findMany({ where: { key: { endsWith: `/${occurrence}` } } });
      const of = (id: string) => rows.find((r) => r.customerId === id);
      return [granted, silent, denied].map((c) => [of(c.id)?.status, of(c.id)?.reason ?? null]);
    };
    expect(await plan({ ...PROMO, consent: OPT_IN }, "in")).toEqual([
      ["queued", null],
      ["skipped", "no_consent"],
      ["skipped", "opted_out"],
    ]);
    expect(await plan({ ...PROMO, consent: OPT_OUT }, "out")).toEqual([
      ["queued", null],
      ["queued", null],
      ["skipped", "opted_out"],
    ]);
    // by country: Poland opt-in, the rest opt-out
    const pole = await customer({}, "pl");
    const byCountry: ConsentPolicy = {
      default: "opt-out",
      channels: {},
      countries: { PL: { default: "opt-in" } },
    };
    await plan({ ...PROMO, consent: byCountry }, "country");
    const rows = await database.db.delivery.findMany({ where: { key: { endsWith: "/country" } } });
    expect(rows.find((r) => r.customerId === pole.id)).toMatchObject({
      status: "skipped",
      reason: "no_consent",
    });
    expect(rows.find((r) => r.customerId === silent.id)).toMatchObject({ status: "queued" });
  });

  it("checks again at send time: no email without consent under opt-in, sent under opt-out, receipts always", async () => {
    const silent = await customer({});
    const delivery = (key: string, kind: "marketing" | "transactional") =>
      database.db.delivery.create({
        data: {
          key,
          kind,
          campaignId: kind === "marketing" ? PROMO.id : null,
          step: "main",
          customerId: silent.id,
          channel: "email",
          status: "queued",
          template: "win-back",
          locale: "en",
          recipient: silent.email,
          data: {
            customer: { email: silent.email },
            brand: { name: "Acme", url: "https://acme.example" },
            discount: 15,
            coupon: "WB-1",
            validUntil: "2026-12-18T22:59:59Z",
          },
        },
      });
    const send = async (policy: ConsentPolicy, key: string, kind: "marketing" | "transactional") => {
      const registry = await createCampaignRegistry({
        db: database.db,
        log: silentLogger,
        refreshMs: 60_000,
        consent: policy,
      });
      registries.push(registry);
      const row = await delivery(key, kind);
      const channel = createResendChannel({
        apiKey: resend.apiKey,
        baseUrl: resend.baseUrl,
        from: "Acme <shop@acme.example>",
      });
      const deps = {
        db: database.db,
        clock,
        log: silentLogger,
        templates: createTemplateStore(),
        publicUrl: "https://crm.acme.example",
        unsubscribeSecret: "unsubscribe-secret-0123456789",
        campaign: (id: string) => registry.get(id),
      };
      await deliverOne(deps, channel, row.id, false);
      const after = await database.db.delivery.findUniqueOrThrow({ where: { id: row.id } });
      return [after.status, after.reason, resend.emails.filter((e) => e.to.includes(silent.email!)).length];
    };
    expect(await send(OPT_IN, "send/in", "marketing")).toEqual(["skipped", "no_consent", 0]);
    expect(await send(OPT_IN, "send/receipt", "transactional")).toEqual(["sent", null, 1]);
    expect(await send(OPT_OUT, "send/out", "marketing")).toEqual(["sent", null, 2]);
    // the footer states the real basis: under opt-out, not a consent that was never given
    const mails = resend.emails.filter((e) => e.to.includes(silent.email!));
    expect(mails[0]!.text).not.toMatch(/agreed|not objected/); // the receipt claims nothing
    expect(mails[1]!.text).toContain("You are receiving this because you have not objected to our offers");
    expect(mails[1]!.html).toContain("you have not objected to our offers");
    expect(mails[1]!.text).not.toMatch(/agreed/);
    await database.db.customer.update({
      where: { id: silent.id },
      data: { consent: { email: { status: "granted", at: "2026-11-02T09:00:00.000Z", via: "shopify" } } },
    });
    expect(await send(OPT_IN, "send/granted", "marketing")).toEqual(["sent", null, 3]);
    const granted = resend.emails.filter((e) => e.to.includes(silent.email!))[2]!;
    expect(granted.text).toContain("You agreed to receive our offers on November 2, 2026 at checkout.");
  });

  it("reads campaigns/consent.yaml beside the campaigns, with every problem at its line", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "consent-"));
    await writeFile(
      path.join(dir, "consent.yaml"),
      "default: opt-in\nchannels:\n  telegram: opt-out\ncountries:\n  US: { default: opt-out }\n",
    );
    const loaded = await loadCampaigns(dir);
    expect(loaded.errors).toEqual([]);
    expect(loaded.consent).toEqual({
      default: "opt-in",
      channels: { telegram: "opt-out" },
      countries: { US: { default: "opt-out", channels: {} } },
    });
    await writeFile(path.join(dir, "consent.yaml"), "default: opt-in\nchannels:\n  email: maybe\n");
    const broken = await loadCampaigns(dir);
    expect(broken.errors).toHaveLength(1);
    expect(broken.errors[0]).toMatchObject({ line: 3, col: 10 });
    expect(broken.errors[0]!.message).toMatch(/opt-in or opt-out/);
    // a file with problems leaves the safe default
    expect(broken.consent.default).toBe("opt-in");
  });
});
