import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileCampaign } from "../../campaigns/index.ts";
import { type ConsoleDeps, registerConsole } from "../../console/index.ts";
import { PREVIEW_HTML_CSP } from "../../console/routes/campaigns-preview.ts";
import { systemClock } from "../../lib/clock.ts";
import { type Db, Prisma } from "../../lib/db/index.ts";
import { createHttpServer } from "../../lib/http.ts";
import { silentLogger } from "../../lib/logger.ts";
import { createTemplateStore } from "../../templates/index.ts";
import { shipCampaign } from "../../workers/index.ts";
import { useTestDatabase } from "../support/db.ts";
import { addStaff, type Browser, getPage, postForm, signIn, uniqueEmail } from "./support.ts";

const database = useTestDatabase();
let http: FastifyInstance;
let admin: Browser;
let marketer: Browser;
let agent: Browser;
let marketerEmail: string;
let jan: string;

const WIN_BACK_YAML = `id: win-back
name: Win back quiet customers
trigger: { inactive: { for: 60d, since: last_purchase } }
audience: orders >= 1
channels: [email]
message:
  template: win-back
  data: { discount: 15, coupon: unique(WINBACK15), valid_days: 14 }
goal: { event: purchase, within: 14d }
`;
const PROMO_YAML = `id: ab-promo
name: Autumn promo
trigger: { event: purchase }
channels: [email]
message: { template: promo }
goal: { event: purchase, within: 7d }
variants:
  - { name: a, weight: 50 }
  - { name: b, weight: 50 }
holdout: 10
`;

async function start(db: Db, extra: Partial<ConsoleDeps>): Promise<FastifyInstance> {
  const app = createHttpServer({ log: silentLogger });
  await registerConsole(app, {
    db,
    clock: systemClock,
    log: silentLogger,
    publicUrl: "https://crm.example",
    brandName: "Kopi Kita",
    ...extra,
  });
  await app.ready();
  return app;
}

let n = 0;
/** A Delivery of ab-promo as the engine would have left it; `revenue` converts it with a purchase. */
async function delivery(
  variant: string,
  status: "sent" | "failed" | "skipped",
  options: { reason?: string; revenue?: string } = {},
): Promise<void> {
  n++;
  const customer = await database.db.customer.create({ data: { name: `Promo ${n}` } });
  const at = new Date("2026-11-01T10:00:00Z");
  const event = options.revenue
    ? await database.db.event.create({
        data: {
          customerId: customer.id,
          type: "purchase",
          externalId: `promo-order-${n}`,
          value: new Prisma.Decimal(options.revenue),
          currency: "PLN",
          occurredAt: at,
        },
      })
    : null;
  await database.db.delivery.create({
    data: {
      key: `d/ab-promo/main/${customer.id}/0`,
      campaignId: "ab-promo",
      step: "main",
      variant,
      customerId: customer.id,
      channel: "email",
      status,
      reason: options.reason ?? null,
      ...(status === "sent" && { sentAt: at, deliveredAt: at }),
      ...(event && { convertedAt: at, conversionEventId: event.id, revenue: event.value }),
    },
  });
}

beforeAll(async () => {
  http = await start(database.db, {
    templates: createTemplateStore(),
    linkSecret: "console-test-link-secret-0123456789",
  });
  const adminEmail = uniqueEmail("admin");
  marketerEmail = uniqueEmail("marketer");
  const agentEmail = uniqueEmail("agent");
  await addStaff(database.db, adminEmail, "admin");
  await addStaff(database.db, marketerEmail, "marketer");
  await addStaff(database.db, agentEmail, "agent");
  [admin, marketer, agent] = await Promise.all([
    signIn(http, adminEmail),
    signIn(http, marketerEmail),
    signIn(http, agentEmail),
  ]);
  await shipCampaign(database.db, compileCampaign(WIN_BACK_YAML, "win-back.yaml"), WIN_BACK_YAML, {
    activate: true,
  });
  await shipCampaign(database.db, compileCampaign(PROMO_YAML, "ab-promo.yaml"), PROMO_YAML, {
    activate: true,
  });
  // variant a: 3 sent (one converted, 100 PLN), 1 failed
  await delivery("a", "sent", { revenue: "100.00" });
  await delivery("a", "sent");
  await delivery("a", "sent");
  await delivery("a", "failed", { reason: "provider_rejected" });
  // variant b: 2 sent, both converted (50 + 70 PLN), 1 skipped (opted out)
  await delivery("b", "sent", { revenue: "50.00" });
  await delivery("b", "sent", { revenue: "70.00" });
  await delivery("b", "skipped", { reason: "opted_out" });
  // hold-out group: 2 held back, one bought anyway (30 PLN)
  await delivery("holdout", "skipped", { reason: "holdout", revenue: "30.00" });
  await delivery("holdout", "skipped", { reason: "holdout" });

  const customer = await database.db.customer.create({
    data: {
      name: "Jan Kowalski",
      email: "jan@example.com",
      locale: "pl-PL",
      timezone: "Europe/Warsaw",
      // marketing needs a yes under the default opt-in policy: Jan gave it at checkout
      consent: { email: { status: "granted", at: "2026-11-01T10:00:00.000Z", via: "shopify" } },
    },
  });
  jan = customer.id;
});
afterAll(async () => {
  await http.close();
});

/** The cells of the table row whose first cell contains `label`, as text. */
function rowOf(html: string, label: string): string[] {
  const row = [...html.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)]
    .map((m) => m[1]!)
    .find((r) => r.includes(label));
  if (!row) throw new Error(`no row with ${label}`);
  return [...row.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((m) =>
    m[1]!
      .replace(/<[^>]+>/g, "")
      .replace(/\s+/g, " ")
      .trim(),
  );
}

describe("the campaigns list", () => {
  it("shows status, version and results counted from the Delivery rows", async () => {
    const page = await getPage(http, marketer, "/console/campaigns");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("Campaigns are written in YAML and reviewed in git");
    // name, status, version, sent, failed, skipped, waiting, conversions, revenue
    expect(rowOf(page.body, "Autumn promo")).toEqual([
      "Autumn promo ab-promo",
      "Active",
      "v1",
      "5",
      "1",
      "3",
      "0",
      "3",
      "PLN 220.00",
    ]);
    expect(rowOf(page.body, "Win back quiet customers").slice(1, 9)).toEqual([
      "Active",
      "v1",
      "0",
      "0",
      "0",
      "0",
      "0",
      "—",
    ]);
  });

  it("lets agents read it, without the buttons that change anything", async () => {
    const list = await getPage(http, agent, "/console/campaigns");
    expect(list.statusCode).toBe(200);
    const detail = await getPage(http, agent, "/console/campaigns/ab-promo");
    expect(detail.statusCode).toBe(200);
    expect(detail.body).not.toContain("/pause");
    expect(detail.body).not.toContain("/preview");
    expect(
      (await getPage(http, agent, `/console/campaigns/win-back/preview?customer=${jan}`)).statusCode,
    ).toBe(403);
  });
});

describe("a campaign's page", () => {
  it("shows results per step and variant and compares them with the hold-out group", async () => {
    const page = await getPage(http, admin, "/console/campaigns/ab-promo");
    expect(page.statusCode).toBe(200);
    const body = page.body;
    expect(body).toContain("<h1>Autumn promo</h1>");
    expect(body).toContain("To change this campaign, edit campaigns/ab-promo.yaml in git");
    // step, variant, planned, sent, delivered, opened, clicked, failed, skipped, conversions, rate, revenue
    const a = rowOf(body, "<td>a</td>");
    expect(a).toEqual(["main", "a", "4", "3", "3", "0", "0", "1", "0", "1", "33.3%", "PLN 100.00"]);
    const b = rowOf(body, "<td>b</td>");
    expect(b).toEqual(["main", "b", "3", "2", "2", "0", "0", "0", "1", "2", "100%", "PLN 120.00"]);
    const held = rowOf(body, "<td>Hold-out group</td>");
    expect(held).toEqual([
      "main",
      "Hold-out group",
      "2",
      "0",
      "0",
      "0",
      "0",
      "0",
      "2",
      "1",
      "50%",
      "PLN 30.00",
    ]);
    expect(rowOf(body, '<th scope="row">Messaged</th>')).toEqual(["Messaged", "5", "3", "60%"]);
    expect(rowOf(body, '<th scope="row">Hold-out group</th>')).toEqual(["Hold-out group", "2", "1", "50%"]);
    expect(body).toContain("Difference: +10 percentage points.");
    expect(body).toContain("holdout: 10");
  });

  it("answers 404 for an unknown campaign", async () => {
    expect((await getPage(http, admin, "/console/campaigns/nope")).statusCode).toBe(404);
  });
});

describe("pausing and resuming", () => {
  it("pauses and resumes for a marketer, audited with who did it", async () => {
    const pause = await postForm(http, marketer, "/console/campaigns/win-back/pause", {
      _csrf: marketer.csrf,
    });
    expect(pause.statusCode).toBe(303);
    expect(pause.headers.location).toBe("/console/campaigns/win-back?changed=paused");
    expect(await database.db.campaign.findUniqueOrThrow({ where: { id: "win-back" } })).toMatchObject({
      status: "paused",
    });
    const paused = await getPage(http, marketer, pause.headers.location!);
    expect(paused.body).toContain("The campaign is paused.");
    expect(paused.body).toContain('action="/console/campaigns/win-back/resume"');
    const audit = await database.db.auditLog.findFirstOrThrow({
      where: { action: "campaign.pause", targetId: "win-back" },
    });
    expect(audit.data).toMatchObject({ from: "active", to: "paused", actor: `console:${marketerEmail}` });
    const account = await database.db.staffUser.findUniqueOrThrow({ where: { email: marketerEmail } });
    expect(audit).toMatchObject({ actorType: "staff", staffUserId: account.id });

    const again = await postForm(http, marketer, "/console/campaigns/win-back/pause", {
      _csrf: marketer.csrf,
    });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain("Only an active campaign can be paused. This one is: Paused.");

    const resume = await postForm(http, admin, "/console/campaigns/win-back/resume", { _csrf: admin.csrf });
    expect(resume.statusCode).toBe(303);
    expect(await database.db.campaign.findUniqueOrThrow({ where: { id: "win-back" } })).toMatchObject({
      status: "active",
    });
    expect(
      await database.db.auditLog.count({ where: { action: "campaign.resume", targetId: "win-back" } }),
    ).toBe(1);
  });

  it("needs the CSRF token and a marketer or admin", async () => {
    const noToken = await postForm(http, marketer, "/console/campaigns/ab-promo/pause", {});
    expect(noToken.statusCode).toBe(403);
    const byAgent = await postForm(http, agent, "/console/campaigns/ab-promo/pause", { _csrf: agent.csrf });
    expect(byAgent.statusCode).toBe(403);
    expect(await database.db.campaign.findUniqueOrThrow({ where: { id: "ab-promo" } })).toMatchObject({
      status: "active",
    });
    expect(
      await database.db.auditLog.count({ where: { action: "campaign.pause", targetId: "ab-promo" } }),
    ).toBe(0);
  });
});

describe("previewing a message", () => {
  it("finds a customer, then shows their message in their language", async () => {
    const search = await getPage(http, marketer, "/console/campaigns/win-back/preview?q=jan");
    expect(search.statusCode).toBe(200);
    expect(search.body).toContain(`href="/console/campaigns/win-back/preview?customer=${jan}"`);

    const page = await getPage(http, marketer, `/console/campaigns/win-back/preview?customer=${jan}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(
      '<p class="preview-subject">Tęsknimy za Tobą! Mamy dla Ciebie 15% rabatu</p>',
    );
    expect(page.body).toContain("WINBACK15-PREVIEW");
    expect(page.body).toContain("jan@example.com");
    const src = /<iframe class="preview-frame" src="([^"]+)" sandbox=""/.exec(page.body)?.[1];
    expect(src).toBeDefined();

    const html = await getPage(http, marketer, src!.replace(/&amp;/g, "&").replace(/&#x3D;/g, "="));
    expect(html.statusCode).toBe(200);
    expect(html.headers["content-security-policy"]).toBe(PREVIEW_HTML_CSP);
    expect(html.headers["x-frame-options"]).toBe("SAMEORIGIN");
    expect(html.body).toContain("WINBACK15-PREVIEW");
    expect(html.body).toMatch(/<html/i);
  });

  it("says a customer who never agreed to marketing would get nothing, in the staff member's language", async () => {
    const ewa = await database.db.customer.create({
      data: { name: "Ewa Nowak", email: "ewa@example.com", locale: "pl", timezone: "Europe/Warsaw" },
    });
    const page = await getPage(http, marketer, `/console/campaigns/win-back/preview?customer=${ewa.id}`);
    expect(page.statusCode).toBe(200);
    // the message is still shown, under the note that it would not go out
    expect(page.body).toContain("has not agreed to marketing on this channel");
  });

  it("says what is wrong: no such customer, no templates on this server", async () => {
    const missing = await getPage(
      http,
      marketer,
      `/console/campaigns/win-back/preview?customer=${crypto.randomUUID()}`,
    );
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toContain("That customer does not exist.");
    const bare = await start(database.db, {});
    try {
      const browser = await signIn(bare, marketerEmail);
      const page = await getPage(bare, browser, `/console/campaigns/win-back/preview?customer=${jan}`);
      expect(page.statusCode).toBe(503);
      expect(page.body).toContain("Previews are not available on this server");
    } finally {
      await bare.close();
    }
  });
});

describe("the campaigns pages in Indonesian and Polish", () => {
  it("speak the staff member's language, with its number formats", async () => {
    for (const [locale, title, active, rate] of [
      ["id", "<h1>Kampanye</h1>", "Aktif", "33,3%"],
      ["pl", "<h1>Kampanie</h1>", "Aktywna", "33,3%"],
    ] as const) {
      const email = uniqueEmail(`marketer-${locale}`);
      await addStaff(database.db, email, "marketer", { locale });
      const browser = await signIn(http, email);
      const list = await getPage(http, browser, "/console/campaigns");
      expect(list.body).toContain(title);
      expect(list.body).toContain(active);
      const detail = await getPage(http, browser, "/console/campaigns/ab-promo");
      expect(rowOf(detail.body, "<td>a</td>")[10]).toBe(rate);
      const preview = await getPage(http, browser, `/console/campaigns/win-back/preview?customer=${jan}`);
      expect(preview.body).toContain("Tęsknimy za Tobą!");
    }
  });
});
