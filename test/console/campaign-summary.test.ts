import { mkdirSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import type { Browser as Chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileCampaign, compileSegments } from "../../campaigns/index.ts";
import { manualClock } from "../../lib/clock.ts";
import { createTemplateStore } from "../../templates/index.ts";
import { createAudiences, shipCampaign } from "../../workers/index.ts";
import { launchBrowser, openPage } from "../support/browser.ts";
import { useTestDatabase } from "../support/db.ts";
import { addStaff, type Browser, getPage, PASSWORD, signIn, startConsole, uniqueEmail } from "./support.ts";

/**
 * The campaign page's opening summary (trigger, audience and its size now, channels, limits, the next send,
 * the last run, a one-off whose date has passed) and the preview's errors written for marketers (issue 15).
 */
const database = useTestDatabase();
const ARTIFACTS = "test/artifacts";
// Monday 7 December 2026, 16:00 in Jakarta
const NOW = Date.parse("2026-12-07T09:00:00Z");
const clock = manualClock(NOW);
const { segments } = compileSegments(`vip: country = "ID"\n`, "segments.yaml");

const PROMO = `id: promo-once
name: Year-end sale
trigger: { schedule: { at: 2026-12-04T10:00:00, timezone: Asia/Jakarta } }
audience: segment(vip)
channels: [email]
message: { template: promo, data: { headline: Sale, body: Now } }
limits: { max_per_week: 1 }
`;
const WEEKLY = `id: weekly
name: Weekly news
trigger: { schedule: { cron: "0 9 * * 4", timezone: Asia/Jakarta } }
channels: [email, telegram]
message: { template: promo, data: { headline: News, body: Read } }
limits: { max_per_day: 2, quiet_hours: "21:00-08:00" }
holdout: 10
`;
const THANKS = `id: thanks
name: Thank you for your order
kind: transactional
trigger: { event: purchase }
channels: [email]
message: { template: thank-you }
`;
const BROKEN = `id: broken-data
name: Missing data
trigger: { event: { type: signup, delay: 2h } }
channels: [email]
message: { template: thank-you }
`;
const NO_DATA = `id: no-data
name: Win back without its data
trigger: { schedule: { cron: "0 9 * * 1", timezone: customer } }
channels: [email]
message: { template: win-back }
`;

const NO_ORDER = `id: no-order
name: A thank-you on a schedule
trigger: { schedule: { cron: "0 9 * * 1", timezone: Europe/Warsaw } }
channels: [email]
message: { template: thank-you }
`;

let http: FastifyInstance;
let marketer: Browser;
let jan: string;

beforeAll(async () => {
  ({ http } = await startConsole({
    db: database.db,
    clock,
    deps: {
      templates: createTemplateStore(),
      linkSecret: "summary-test-link-secret-0123456789",
      audiences: createAudiences(() => segments),
      segments: () => segments,
    },
  }));
  const email = uniqueEmail("marketer");
  await addStaff(database.db, email, "marketer");
  marketer = await signIn(http, email);
  for (const [yaml, file] of [
    [PROMO, "promo-once.yaml"],
    [WEEKLY, "weekly.yaml"],
    [THANKS, "thanks.yaml"],
    [BROKEN, "broken-data.yaml"],
    [NO_DATA, "no-data.yaml"],
    [NO_ORDER, "no-order.yaml"],
  ] as const) {
    await shipCampaign(database.db, compileCampaign(yaml, file), yaml, { activate: true });
  }
  await database.db.customer.createMany({
    data: [
      { name: "Siti", country: "ID" },
      { name: "Budi", country: "ID" },
      { name: "Ayu", country: "ID" },
      { name: "Ola", country: "PL" },
    ],
  });
  jan = (await database.db.customer.create({ data: { name: "Jan", email: "jan@example.com" } })).id;
  // the weekly campaign last fanned out three hours ago and sent two messages (one more failed); the run
  // before, a week earlier, sent one
  const ola = await database.db.customer.findFirstOrThrow({ where: { country: "PL" } });
  const weekAgo = new Date(NOW - 7 * 86_400_000);
  await database.db.delivery.create({
    data: {
      key: `d/weekly/main/${ola.id}/cron-before`,
      campaignId: "weekly",
      step: "main",
      customerId: ola.id,
      channel: "email",
      status: "sent",
      createdAt: weekAgo,
      sentAt: weekAgo,
    },
  });
  const ranAt = new Date(NOW - 3 * 3_600_000);
  await database.db.channelCursor.create({
    data: { key: "campaign:weekly:schedule", value: ranAt.toISOString() },
  });
  const customers = await database.db.customer.findMany({ where: { country: "ID" }, select: { id: true } });
  await database.db.delivery.createMany({
    data: customers.map((c, i) => ({
      key: `d/weekly/main/${c.id}/cron-test`,
      campaignId: "weekly",
      step: "main",
      customerId: c.id,
      channel: "email" as const,
      status: i < 2 ? ("sent" as const) : ("failed" as const),
      createdAt: new Date(ranAt.getTime() + 60_000),
      ...(i < 2 && { sentAt: new Date(ranAt.getTime() + 120_000) }),
    })),
  });
}, 30_000);
afterAll(() => http?.close());

/** The page's text, tags dropped and spaces folded. */
function text(html: string): string {
  return html
    .replace(/<[^>]+>/g, " ")
    .replace(/&#x27;/g, "'")
    .replace(/\s+/g, " ");
}

/** The summary section of a campaign page, as text. */
async function summaryOf(browser: Browser, id: string): Promise<string> {
  const page = await getPage(http, browser, `/console/campaigns/${id}`);
  expect(page.statusCode).toBe(200);
  const section = /<section class="card campaign-summary"[\s\S]*?<\/section>/.exec(page.body);
  expect(section, "no summary section").not.toBeNull();
  return text(section![0]);
}

describe("the campaign page's summary", () => {
  it("says a one-off whose date has passed is finished, not Active", async () => {
    const page = await getPage(http, marketer, "/console/campaigns/promo-once");
    expect(page.body).toContain('<span class="pill pill-finished">Finished</span>');
    expect(page.body).not.toContain('<span class="pill pill-active">');
    const summary = await summaryOf(marketer, "promo-once");
    expect(summary).toContain("Finished: its date, December 4, has passed. Nothing more will be sent.");
    expect(summary).toContain("Sends once, on Friday, December 4 at 10:00 (Asia/Jakarta), by email.");
    expect(summary).not.toContain("Next:");
  });

  it("lists that one-off as finished too, and a running one as active", async () => {
    const list = await getPage(http, marketer, "/console/campaigns");
    expect(list.body).toMatch(
      /Year-end sale[\s\S]*?<td><span class="pill pill-finished">Finished<\/span><\/td>/,
    );
    expect(list.body).toMatch(/Weekly news[\s\S]*?<td><span class="pill pill-active">Active<\/span><\/td>/);
  });

  it("counts the audience now with the segment's SQL", async () => {
    expect(await summaryOf(marketer, "promo-once")).toContain("To customers in segment vip: 3 now.");
    expect(await summaryOf(marketer, "promo-once")).toContain(
      "At most 1 message a week per customer, counting every campaign.",
    );
    // no audience: every customer who is not merged away
    expect(await summaryOf(marketer, "weekly")).toContain("To every customer: 5 now.");
  });

  it("gives a repeating schedule's next send in its zone and its last run", async () => {
    const summary = await summaryOf(marketer, "weekly");
    expect(summary).toContain(
      "Sends on a repeating schedule (cron 0 9 * * 4, Asia/Jakarta), by email or Telegram, the first one the customer can be reached on.",
    );
    expect(summary).toContain("Next: Thursday, December 10 at 09:00 (Asia/Jakarta).");
    expect(summary).toContain("Last ran: 3 hours ago, 2 sent.");
    expect(summary).toContain("At most 2 messages a day per customer, counting every campaign.");
    expect(summary).toContain("Never between 21:00 and 08:00 in the customer's time: held until 08:00.");
    expect(summary).toContain("10% of the audience gets nothing (the hold-out group)");
  });

  it("says what an event campaign does and that it never sent", async () => {
    const summary = await summaryOf(marketer, "thanks");
    expect(summary).toContain("Sends after every purchase, right away, by email.");
    expect(summary).toContain("Transactional: never capped");
    expect(summary).toContain("Nothing sent yet.");
    expect(await summaryOf(marketer, "broken-data")).toContain(
      "Sends after every signup, 2 hours later, by email.",
    );
  });

  it("speaks Indonesian and Polish", async () => {
    for (const [locale, expected] of [
      ["id", ["Selesai: tanggalnya, 4 Desember, sudah lewat.", "Untuk pelanggan di segmen vip: 3 saat ini."]],
      [
        "pl",
        [
          "Zakończona: jej data, 4 grudnia, minęła.",
          "Do klientów z segmentu vip: teraz 3.",
          "Najwyżej 1 wiadomość tygodniowo",
        ],
      ],
    ] as const) {
      const email = uniqueEmail(`marketer-${locale}`);
      await addStaff(database.db, email, "marketer", { locale });
      const browser = await signIn(http, email);
      const summary = await summaryOf(browser, "promo-once");
      for (const sentence of expected) expect(summary).toContain(sentence);
    }
  });
});

describe("preview errors for marketers", () => {
  it("says a customer without an order cannot have a purchase message, the detail folded away", async () => {
    const page = await getPage(http, marketer, `/console/campaigns/thanks/preview?customer=${jan}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(
      "This customer has no order yet, and this message is about an order: it needs one to show.",
    );
    expect(page.body).toMatch(
      /<details class="technical"><summary>Technical detail<\/summary><pre><code>[^<]*order/,
    );
    expect(text(page.body)).not.toMatch(/Technical detail[\s\S]*Technical detail/);
  });

  it("names the event a message follows when the customer has none", async () => {
    const page = await getPage(http, marketer, `/console/campaigns/broken-data/preview?customer=${jan}`);
    expect(page.body).toContain("This message follows a signup event, and this customer has none yet");
  });
});

describe("preview errors for marketers, continued", () => {
  it("names a field the message shows and the data lacks", async () => {
    const page = await getPage(http, marketer, `/console/campaigns/no-order/preview?customer=${jan}`);
    expect(page.body).toContain("The message shows order.id, and this customer&#x27;s data has none.");
    expect(page.body).toMatch(/<summary>Technical detail<\/summary><pre><code>templates\/thank-you\//);
  });

  it("says a value is missing when the template cannot name it", async () => {
    const page = await getPage(http, marketer, `/console/campaigns/no-data/preview?customer=${jan}`);
    expect(page.body).toContain("The message needs a value this customer&#x27;s data does not have.");
    expect(page.body).toMatch(/<summary>Technical detail<\/summary><pre><code>templates\/win-back\//);
  });

  it("gives a per-customer schedule's next send as each customer's own time", async () => {
    expect(await summaryOf(marketer, "no-data")).toContain(
      "Next: Monday, December 14 at 09:00 in each customer's own time.",
    );
  });
});

describe("the campaign page in Chromium", () => {
  let chromium: Chromium;
  let url: string;
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    url = await http.listen({ port: 0, host: "127.0.0.1" });
    chromium = await launchBrowser();
  }, 30_000);
  afterAll(() => chromium?.close());

  for (const [width, height] of [
    [1280, 800],
    [360, 780],
  ] as const) {
    it(`shows the summary first and fits ${width} px`, async () => {
      const email = uniqueEmail(`marketer-${width}`);
      await addStaff(database.db, email, "marketer");
      const { page, errors } = await openPage(chromium, width, height);
      await page.goto(`${url}/console/login?next=/console/campaigns/promo-once`);
      await page.locator("#login-email").fill(email);
      await page.locator("#login-password").fill(PASSWORD);
      await page.locator('form button[type="submit"]').click();
      await page.waitForURL(`${url}/console/campaigns/promo-once`);
      await expect.poll(() => page.getByRole("alert").first().textContent()).toContain("has passed");
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await page.screenshot({ path: `${ARTIFACTS}/campaign-summary-${width}.png`, fullPage: true });
      await page.goto(`${url}/console/campaigns/thanks/preview?customer=${jan}`);
      await page.getByText("Technical detail").click();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await page.screenshot({ path: `${ARTIFACTS}/campaign-preview-error-${width}.png`, fullPage: true });
      expect(errors.filter((e) => !e.includes("/preview?"))).toEqual([]);
      await page.context().close();
    }, 30_000);
  }
});
