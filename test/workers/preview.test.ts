import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyUnsubscribeToken } from "../../bots/index.ts";
import { compileCampaign, noSegments } from "../../campaigns/index.ts";
import { manualClock } from "../../lib/clock.ts";
import { Prisma } from "../../lib/db/index.ts";
import { createTemplateStore } from "../../templates/index.ts";
import {
  createAudiences,
  findCustomerId,
  type MessagePreview,
  PREVIEW_DELIVERY_ID,
  type PreviewDeps,
  previewMessage,
  shipCampaign,
  variantOf,
} from "../../workers/index.ts";
import { useTestDatabase } from "../support/db.ts";

const database = useTestDatabase();
const SECRET = "preview-test-link-secret-0123456789";
const NOW = new Date("2026-11-23T10:00:00Z");

const WIN_BACK = compileCampaign(
  `id: win-back
name: Win back
trigger: { inactive: { for: 60d, since: last_purchase } }
audience: orders >= 1
channels: [telegram, email]
message:
  template: win-back
  data: { discount: 15, coupon: unique(WINBACK15), valid_days: 14 }
limits: { quiet_hours: "21:00-08:00" }
`,
  "win-back.yaml",
);
const THANK_YOU = compileCampaign(
  "id: thank-you\nname: Thanks\nkind: transactional\ntrigger: { event: purchase }\nchannels: [email]\nmessage: { template: thank-you }\n",
  "thank-you.yaml",
);

const deps = (overrides: Partial<PreviewDeps> = {}): PreviewDeps => ({
  templates: createTemplateStore(),
  publicUrl: "https://crm.example",
  unsubscribeSecret: SECRET,
  brand: { name: "Kopi Kita", url: "https://kopikita.example" },
  clock: manualClock(NOW.getTime()),
  audiences: createAudiences(() => noSegments("segments.yaml")),
  ...overrides,
});

let jan: string;
let siti: string;
let templatesDir: string;

async function customer(data: Prisma.CustomerCreateInput, purchases = 1): Promise<string> {
  // marketing needs granted consent (opt-in, the default policy): unless the test says otherwise, they gave it
  const consent = { email: { status: "granted" }, telegram: { status: "granted" } };
  const created = await database.db.customer.create({ data: { consent, ...data } });
  for (let i = 0; i < purchases; i++) {
    await database.db.event.create({
      data: {
        customerId: created.id,
        type: "purchase",
        externalId: `${created.id}-${i}`,
        value: new Prisma.Decimal("199.95"),
        currency: "PLN",
        occurredAt: new Date("2026-08-01T10:00:00Z"),
        purchases: {
          create: {
            customerId: created.id,
            sku: "KUB-02",
            name: "Kubek",
            quantity: 5,
            unitPrice: new Prisma.Decimal("39.99"),
            currency: "PLN",
            occurredAt: new Date("2026-08-01T10:00:00Z"),
          },
        },
      },
    });
  }
  return created.id;
}

const preview = async (...args: Parameters<typeof previewMessage>) => {
  const result = await previewMessage(...args);
  if (result.kind !== "preview") throw new Error(`expected a preview, got ${JSON.stringify(result)}`);
  return result as MessagePreview;
};

beforeAll(async () => {
  jan = await customer({
    name: "Jan Kowalski",
    email: "jan@example.com",
    locale: "pl-PL",
    timezone: "Europe/Warsaw",
  });
  siti = await customer({
    name: "Siti",
    email: "siti@example.com",
    locale: "id",
    timezone: "Asia/Jakarta",
    identities: { create: { channel: "telegram", externalId: "5001" } },
  });
  templatesDir = mkdtempSync(path.join(tmpdir(), "rapport-preview-"));
  mkdirSync(path.join(templatesDir, "only-en"));
  writeFileSync(
    path.join(templatesDir, "only-en", "email.en.hbs"),
    "---\nsubject: Hello {{customer.name}}\n---\n<p>Hi</p>\n",
  );
});
afterAll(() => rmSync(templatesDir, { recursive: true, force: true }));

describe("previewMessage", () => {
  it("renders what a Polish customer would get: Polish, a coupon placeholder, a working unsubscribe link", async () => {
    const result = await preview(database.db, deps(), WIN_BACK, jan);
    expect(result).toMatchObject({
      channel: "email",
      recipient: "jan@example.com",
      locale: "pl",
      renderedLocale: "pl",
      variant: null,
      wouldSkip: null,
      template: "win-back",
      customer: { timezone: "Europe/Warsaw" },
    });
    expect(result.subject).toBe("Tęsknimy za Tobą! Mamy dla Ciebie 15% rabatu");
    expect(result.text).toContain("WINBACK15-PREVIEW");
    expect(result.html).toContain("WINBACK15-PREVIEW");
    // valid_days counts from the send: 14 days after 23 November, in Warsaw
    expect(result.text).toContain("7 grudnia 2026");
    const token = result.unsubscribeUrl!.replace("https://crm.example/u/", "");
    expect(verifyUnsubscribeToken(SECRET, token)).toEqual({
      customerId: jan,
      channel: "email",
      deliveryId: PREVIEW_DELIVERY_ID,
    });
    expect(result.text).toContain(result.unsubscribeUrl);
  });

  it("picks the channel the planner would, or renders for a forced channel and language", async () => {
    const chat = await preview(database.db, deps(), WIN_BACK, siti);
    expect(chat).toMatchObject({ channel: "telegram", recipient: "5001", locale: "id" });
    expect(chat.subject).toBeUndefined();
    expect(chat.html).toBeUndefined();

    const forced = await preview(database.db, deps(), WIN_BACK, siti, { channel: "email", locale: "pl" });
    expect(forced).toMatchObject({ channel: "email", recipient: "siti@example.com", locale: "pl" });
    expect(forced.subject).toMatch(/Tęsknimy/);

    const unreachable = await preview(database.db, deps(), WIN_BACK, jan, { channel: "telegram" });
    expect(unreachable).toMatchObject({ channel: "telegram", recipient: null, wouldSkip: "no_channel" });
    expect(unreachable.text).toContain("WINBACK15-PREVIEW");
  });

  it("counts an SMS's segments against the campaign's max_segments", async () => {
    const sms = compileCampaign(
      "id: sms\nname: SMS\ntrigger: { event: purchase }\nchannels: [sms]\nmessage: { template: thank-you }\nlimits: { max_segments: 1 }\n",
      "sms.yaml",
    );
    const result = await preview(database.db, deps(), sms, jan, { channel: "sms" });
    expect(result.channel).toBe("sms");
    // Polish letters (ę, ó, ł) are outside GSM-7: the whole text goes as UCS-2
    expect(result.segments).toMatchObject({ encoding: "UCS-2", max: 1 });
    expect(result.segments!.units).toBe(result.text.length);
    expect(result.segments!.segments).toBe(result.text.length <= 70 ? 1 : Math.ceil(result.text.length / 67));
    // no segments on other channels
    expect((await preview(database.db, deps(), WIN_BACK, jan)).segments).toBeUndefined();
  });

  it("says when English stands in for a missing language", async () => {
    const campaign = compileCampaign(
      "id: hello\nname: Hello\ntrigger: { event: signup }\nchannels: [email]\nmessage: { template: only-en }\n",
      "hello.yaml",
    );
    const result = await preview(
      database.db,
      deps({ templates: createTemplateStore({ dir: templatesDir }) }),
      campaign,
      jan,
    );
    expect(result).toMatchObject({ locale: "pl", renderedLocale: "en", subject: "Hello Jan Kowalski" });
  });

  it("shows why a customer would get nothing: opted out, outside the audience, held back", async () => {
    const optedOut = await customer({ email: "no@example.com", consent: { email: { status: "denied" } } });
    expect(await preview(database.db, deps(), WIN_BACK, optedOut)).toMatchObject({
      channel: "email",
      wouldSkip: "opted_out",
    });
    const neverBought = await customer({ email: "new@example.com" }, 0);
    expect(await preview(database.db, deps(), WIN_BACK, neverBought)).toMatchObject({
      wouldSkip: "not_in_audience",
    });
    const split = compileCampaign(
      `id: split\nname: Split\ntrigger: { event: signup }\nchannels: [email]\nmessage: { template: win-back, data: { discount: 10, coupon: X, validUntil: "2026-12-01T00:00:00Z" } }\nvariants:\n  - { name: a, weight: 50 }\n  - { name: b, weight: 50, data: { discount: 20 } }\nholdout: 99\n`,
      "split.yaml",
    );
    // a fixed id, so the same bucket on every run (32 of 0–99: held back)
    const held = await customer({ id: "44444444-4444-4444-4444-444444444444", email: "held@example.com" });
    expect(variantOf(split, held)).toBe("holdout");
    expect(await preview(database.db, deps(), split, held)).toMatchObject({
      variant: "holdout",
      shownVariant: "a",
      wouldSkip: "holdout",
    });
  });

  it("uses the customer's latest triggering event, and explains a message that needs one", async () => {
    const result = await preview(database.db, deps(), THANK_YOU, jan);
    expect(result.event).toMatchObject({ type: "purchase" });
    expect(result.text).toContain("199,95");
    expect(result.unsubscribeUrl).toBeUndefined(); // transactional
    const none = await customer({ email: "browser@example.com" }, 0);
    const failed = await previewMessage(database.db, deps(), THANK_YOU, none);
    expect(failed).toMatchObject({ kind: "render_error" });
    expect((failed as { message: string }).message).toMatch(
      /runs on purchase events and the customer has none/,
    );
  });

  it("reads a shipped campaign by id, reports unknown ones, and writes nothing", async () => {
    await shipCampaign(database.db, WIN_BACK, "", { activate: true });
    const before = await Promise.all([database.db.delivery.count(), database.db.coupon.count()]);
    expect(await preview(database.db, deps(), "win-back", jan)).toMatchObject({
      campaign: { id: "win-back" },
    });
    expect(await previewMessage(database.db, deps(), "nope", jan)).toEqual({
      kind: "unknown_campaign",
      campaignId: "nope",
    });
    expect(await previewMessage(database.db, deps(), WIN_BACK, "not-an-id")).toEqual({
      kind: "unknown_customer",
      customerId: "not-an-id",
    });
    expect(await Promise.all([database.db.delivery.count(), database.db.coupon.count()])).toEqual(before);
  });
});

describe("findCustomerId", () => {
  it("finds a customer by id or email in any case, following a merge", async () => {
    expect(await findCustomerId(database.db, "JAN@Example.com")).toBe(jan);
    expect(await findCustomerId(database.db, jan.toUpperCase())).toBe(jan);
    const merged = await database.db.customer.create({
      data: { email: "old@example.com", mergedIntoId: jan },
    });
    expect(await findCustomerId(database.db, merged.id)).toBe(jan);
    expect(await findCustomerId(database.db, "nobody@example.com")).toBeUndefined();
  });
});
