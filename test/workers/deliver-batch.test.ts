import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createResendChannel } from "../../bots/index.ts";
import { compileCampaign } from "../../campaigns/index.ts";
import { manualClock } from "../../lib/clock.ts";
import { silentLogger } from "../../lib/logger.ts";
import { createTemplateStore } from "../../templates/index.ts";
import { deliverOne } from "../../workers/deliver.ts";
import { deliverBatch } from "../../workers/deliver-batch.ts";
import {
  type CampaignRegistry,
  createCampaignRegistry,
  setCampaignStatus,
  shipCampaign,
} from "../../workers/index.ts";
import { type FakeResend, startFakeResend } from "../fakes/index.ts";
import { useTestDatabase } from "../support/db.ts";

const database = useTestDatabase();
const clock = manualClock(Date.parse("2026-12-04T10:30:00Z"));
const WIN_BACK = compileCampaign(
  `id: win-back-test
name: Win-back test
trigger: { inactive: { for: 60d } }
channels: [email]
message: { template: win-back, data: { discount: 15, coupon: unique(WB) } }
`,
  "win-back-test.yaml",
);
let resend: FakeResend;
let registry: CampaignRegistry;

const deps = () => ({
  db: database.db,
  clock,
  log: silentLogger,
  templates: createTemplateStore(),
  publicUrl: "https://crm.acme.example",
  unsubscribeSecret: "unsubscribe-secret-0123456789",
  campaign: (id: string) => registry.get(id),
});

let seq = 0;
async function delivery(email: string, data: Record<string, unknown>) {
  const customer = await database.db.customer.create({
    // marketing needs granted consent (opt-in, the default policy)
    data: { email, locale: "pl", timezone: "Europe/Warsaw", consent: { email: { status: "granted" } } },
  });
  return database.db.delivery.create({
    data: {
      key: `d/win-back-test/main/${customer.id}/${++seq}`,
      kind: "marketing",
      campaignId: WIN_BACK.id,
      step: "main",
      customerId: customer.id,
      channel: "email",
      status: "queued",
      template: "win-back",
      locale: "pl",
      recipient: email,
      data: {
        customer: { email },
        brand: { name: "Kopi Kita", url: "https://kopikita.example" },
        discount: 15,
        ...data,
      },
    },
  });
}

beforeAll(async () => {
  resend = await startFakeResend({ rateLimit: 100 });
  await shipCampaign(database.db, WIN_BACK, "", { activate: true });
  registry = await createCampaignRegistry({ db: database.db, log: silentLogger, refreshMs: 60_000 });
});
afterAll(async () => {
  registry?.close();
  await resend?.close();
});

describe("deliverBatch", () => {
  it("sends the good emails of a batch in one call, failing the one that does not render and holding the suppressed", async () => {
    const good = await Promise.all(
      ["a@example.com", "b@example.com"].map((email, i) =>
        delivery(email, { coupon: `WB-00${i}`, validUntil: "2026-12-18T22:59:59Z" }),
      ),
    );
    const broken = await delivery("c@example.com", { coupon: "WB-003" }); // no validUntil: the template refuses
    const suppressed = await delivery("d@example.com", {
      coupon: "WB-004",
      validUntil: "2026-12-18T22:59:59Z",
    });
    await database.db.suppression.create({
      data: { channel: "email", address: "d@example.com", reason: "bounced" },
    });
    const channel = createResendChannel({
      apiKey: resend.apiKey,
      baseUrl: resend.baseUrl,
      from: "Kopi Kita <hi@kopikita.example>",
    });
    const job = {
      batchKey: "b/win-back-test/abc",
      deliveryIds: [...good, broken, suppressed].map((d) => d.id),
    };

    await deliverBatch(deps(), channel, job, false);

    expect(resend.requests.filter((r) => r.path === "/emails/batch")).toHaveLength(1);
    expect(resend.emails.map((e) => e.to[0]).sort()).toEqual(["a@example.com", "b@example.com"]);
    expect(resend.emails.every((e) => e.idempotencyKey === job.batchKey)).toBe(true);
    expect(resend.emails[0]!.headers["List-Unsubscribe"]).toMatch(/^<https:\/\/crm\.acme\.example\/u\//);
    const rows = await database.db.delivery.findMany({ where: { id: { in: job.deliveryIds } } });
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const d of good) expect(byId.get(d.id)).toMatchObject({ status: "sent", batchKey: job.batchKey });
    expect(byId.get(broken.id)).toMatchObject({ status: "failed", reason: "template_error" });
    expect(byId.get(broken.id)!.error).toMatch(/win-back\/email\.pl\.hbs:\d+: date: .*missing/);
    expect(byId.get(suppressed.id)).toMatchObject({ status: "suppressed", reason: "bounced" });

    // the same job again (a redelivered job) sends nothing
    await deliverBatch(deps(), channel, job, false);
    expect(resend.emails).toHaveLength(2);
  });

  it("holds a paused campaign's messages and sends them once it is resumed", async () => {
    const waiting = await delivery("e@example.com", { coupon: "WB-005", validUntil: "2026-12-18T22:59:59Z" });
    const channel = createResendChannel({
      apiKey: resend.apiKey,
      baseUrl: resend.baseUrl,
      from: "Kopi Kita <hi@kopikita.example>",
    });
    await setCampaignStatus(database.db, WIN_BACK.id, "paused");
    await registry.refresh();
    expect(await deliverOne(deps(), channel, waiting.id, false)).toEqual({
      kind: "paused",
      campaignId: WIN_BACK.id,
    });
    expect(await database.db.delivery.findUniqueOrThrow({ where: { id: waiting.id } })).toMatchObject({
      status: "queued",
    });

    await setCampaignStatus(database.db, WIN_BACK.id, "active");
    await registry.refresh();
    expect(await deliverOne(deps(), channel, waiting.id, false)).toMatchObject({ kind: "sent" });
  });
});
