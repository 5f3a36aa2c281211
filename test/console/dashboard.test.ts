import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerConsole } from "../../console/index.ts";
import { manualClock } from "../../lib/clock.ts";
import { type Channel, Prisma } from "../../lib/db/index.ts";
import { createHttpServer } from "../../lib/http.ts";
import { silentLogger } from "../../lib/logger.ts";
import { useTestDatabase } from "../support/db.ts";
import { addStaff, type Browser, getPage, signIn, uniqueEmail } from "./support.ts";

const database = useTestDatabase();
/** Noon UTC on 23 November 2026: the window is 25 October – 23 November. */
const NOW = Date.parse("2026-11-23T12:00:00Z");
const clock = manualClock(NOW);
let http: FastifyInstance;
let agent: Browser;
let marketer: Browser;
let admin: Browser;
let n = 0;

const at = (iso: string) => new Date(iso);
/** A customer who arrived long before the window (so only `source` customers count as new). */
const person = async (extra: Prisma.CustomerCreateInput = {}) =>
  (await database.db.customer.create({ data: { createdAt: at("2025-01-01T00:00:00Z"), ...extra } })).id;

async function message(
  customerId: string,
  channel: Channel,
  direction: "inbound" | "outbound",
  sentAt: string,
  extra: { conversationId?: string; author?: "customer" | "bot" | "staff"; internal?: boolean } = {},
) {
  n++;
  await database.db.interaction.create({
    data: {
      customerId,
      channel,
      direction,
      author: extra.author ?? (direction === "inbound" ? "customer" : "bot"),
      conversationId: extra.conversationId ?? null,
      internal: extra.internal ?? false,
      externalId: `m-${n}`,
      text: "…",
      sentAt: at(sentAt),
    },
  });
}

async function seed() {
  const db = database.db;
  const someone = await person();
  // messages: 22 Nov telegram 4 in (one at 20:00 UTC, the 23rd in Jakarta) / 2 out, email 1 out; 18 Nov discord 4 in
  for (let i = 0; i < 3; i++) await message(someone, "telegram", "inbound", "2026-11-22T10:00:00Z");
  await message(someone, "telegram", "inbound", "2026-11-22T20:00:00Z");
  for (let i = 0; i < 2; i++) await message(someone, "telegram", "outbound", "2026-11-22T10:05:00Z");
  await message(someone, "email", "outbound", "2026-11-22T11:00:00Z");
  for (let i = 0; i < 4; i++) await message(someone, "discord", "inbound", "2026-11-18T09:00:00Z");
  await message(someone, "telegram", "outbound", "2026-11-22T10:06:00Z", { author: "staff", internal: true });
  for (let i = 0; i < 10; i++) await message(someone, "telegram", "inbound", "2026-10-01T10:00:00Z"); // before

  // first responses on 20 Nov (web chat), as the console records them (firstReplyAt and the staff message):
  // 1, 2, 5, 10 and 60 minutes; one answered by the bot only
  for (const wait of [60, 120, 300, 600, 3600, null]) {
    const opened = "2026-11-20T10:00:00Z";
    const reply = new Date(Date.parse(opened) + (wait ?? 30) * 1000);
    const conversation = await db.conversation.create({
      data: {
        customerId: someone,
        channel: "webchat",
        createdAt: at(opened),
        firstReplyAt: wait === null ? null : reply,
      },
    });
    await message(someone, "webchat", "inbound", opened, { conversationId: conversation.id });
    await message(someone, "webchat", "outbound", reply.toISOString(), {
      conversationId: conversation.id,
      author: wait === null ? "bot" : "staff",
    });
  }
  // opened before the window: left out
  const old = await db.conversation.create({
    data: {
      customerId: someone,
      channel: "telegram",
      createdAt: at("2026-09-01T10:00:00Z"),
      firstReplyAt: at("2026-09-01T12:00:00Z"),
    },
  });
  await message(someone, "telegram", "outbound", "2026-09-01T12:00:00Z", {
    conversationId: old.id,
    author: "staff",
  });

  // ratings: 5, 5, 4, 3, 1 as events; a CSAT survey answered elsewhere (2); one answered by the bot (4, once)
  for (const score of [5, 5, 4, 3, 1]) {
    n++;
    await db.event.create({
      data: {
        customerId: someone,
        type: "rating",
        externalId: `r-${n}`,
        value: score,
        occurredAt: at("2026-11-21T10:00:00Z"),
      },
    });
  }
  await db.event.create({
    data: {
      customerId: someone,
      type: "rating",
      externalId: "r-old",
      value: 1,
      occurredAt: at("2026-10-01T10:00:00Z"),
    },
  });
  const elsewhere = await db.survey.create({
    data: { customerId: someone, channel: "email", answeredAt: at("2026-11-21T11:00:00Z") },
  });
  await db.surveyAnswer.create({ data: { surveyId: elsewhere.id, customerId: someone, score: 2 } });
  const byBot = await db.survey.create({
    data: { customerId: someone, channel: "telegram", answeredAt: at("2026-11-21T12:00:00Z") },
  });
  await db.surveyAnswer.create({ data: { surveyId: byBot.id, customerId: someone, score: 4 } });
  await db.event.create({
    data: {
      customerId: someone,
      type: "rating",
      externalId: "r-bot",
      value: 4,
      occurredAt: at("2026-11-21T12:00:00Z"),
      properties: { score: 4, surveyId: byBot.id },
    },
  });

  // campaign deliveries due on 15 Nov
  await db.campaign.create({ data: { id: "promo", name: "Autumn promo" } });
  const due = at("2026-11-15T10:00:00Z");
  type Row = Omit<Partial<Prisma.DeliveryUncheckedCreateInput>, "revenue"> & { revenue?: [string, string] };
  const deliveries: Row[] = [
    { channel: "email", status: "sent", deliveredAt: due, revenue: ["100.00", "PLN"] },
    { channel: "email", status: "sent", deliveredAt: due },
    { channel: "email", status: "sent" },
    { channel: "telegram", status: "sent", revenue: ["50000", "IDR"] },
    { channel: "email", status: "failed" },
    { channel: "email", status: "skipped", reason: "opted_out" },
    { channel: "email", status: "skipped", reason: "holdout" },
    { channel: "email", status: "queued" },
  ];
  for (const { revenue, ...row } of deliveries) {
    n++;
    const customerId = await person();
    const event = revenue
      ? await db.event.create({
          data: {
            customerId,
            type: "purchase",
            externalId: `o-${n}`,
            value: new Prisma.Decimal(revenue[0]),
            currency: revenue[1],
            occurredAt: due,
          },
        })
      : null;
    await db.delivery.create({
      data: {
        key: `d/promo/main/${customerId}/0`,
        campaignId: "promo",
        step: "main",
        customerId,
        channel: "email",
        status: "planned",
        scheduledAt: due,
        ...row,
        ...(event && { convertedAt: due, conversionEventId: event.id, revenue: event.value }),
      } as Prisma.DeliveryUncheckedCreateInput,
    });
  }
  // due before the window, and a staff reply (no campaign): left out
  await db.delivery.create({
    data: {
      key: "d/promo/old",
      campaignId: "promo",
      customerId: someone,
      channel: "email",
      status: "sent",
      scheduledAt: at("2026-09-01T10:00:00Z"),
    },
  });
  await db.delivery.create({
    data: {
      key: "reply/1",
      kind: "transactional",
      customerId: someone,
      channel: "telegram",
      status: "sent",
      scheduledAt: due,
    },
  });

  // new customers in the window by first touch
  for (const source of ["instagram", "instagram", "instagram", "facebook", null, null])
    await db.customer.create({ data: { source, createdAt: at("2026-11-10T10:00:00Z") } });
}

beforeAll(async () => {
  http = createHttpServer({ log: silentLogger });
  await registerConsole(http, {
    db: database.db,
    clock,
    log: silentLogger,
    publicUrl: "http://localhost:3000",
    brandName: "Toko Rapport",
    timezone: "UTC",
  });
  await http.ready();
  const emails = {
    admin: uniqueEmail("admin"),
    agent: uniqueEmail("agent"),
    marketer: uniqueEmail("marketer"),
  };
  await addStaff(database.db, emails.admin, "admin");
  await addStaff(database.db, emails.agent, "agent");
  await addStaff(database.db, emails.marketer, "marketer");
  [admin, agent, marketer] = await Promise.all([
    signIn(http, emails.admin),
    signIn(http, emails.agent),
    signIn(http, emails.marketer),
  ]);
  await seed();
});
afterAll(async () => {
  await http.close();
});

/** The text of the table row whose header cell is `label`. */
function row(html: string, label: string): string[] {
  const found = [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)]
    .map((m) => m[1]!)
    .find((r) => new RegExp(`<th scope="row">(<[^>]+>)?${label}<`).test(r));
  if (!found) throw new Error(`no row ${label}`);
  return [...found.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((m) =>
    m[1]!
      .replace(/<[^>]+>/g, "")
      .replace(/\s+/g, " ")
      .trim(),
  );
}

/** The section of the page under the heading with `id`. */
const section = (html: string, id: string) => {
  const start = html.indexOf(`id="${id}"`);
  return html.slice(start, html.indexOf("</section>", start));
};

describe("the dashboard", () => {
  let body: string;
  beforeAll(async () => {
    const page = await getPage(http, agent, "/console/dashboard");
    expect(page.statusCode).toBe(200);
    body = page.body;
  });

  it("counts messages per channel and day, inbound and outbound, in the last 30 days", () => {
    const messages = section(body, "messages-heading");
    expect(messages).toContain('<svg class="chart chart-w-675 chart-lines"');
    expect(messages).toContain('<title id="chart-messages-title">Messages per day</title>');
    expect(messages).toContain(
      '<desc id="chart-messages-desc">Messages per day over the last 30 days: 14 received from customers and 9 sent to them.</desc>',
    );
    // day, received, sent, then per channel received / sent: telegram, discord, email, web chat
    expect(row(messages, "Sun, Nov 22")).toEqual([
      "Sun, Nov 22",
      "4",
      "3",
      "4 / 2",
      "0 / 0",
      "0 / 1",
      "0 / 0",
    ]);
    expect(row(messages, "Wed, Nov 18")).toEqual([
      "Wed, Nov 18",
      "4",
      "0",
      "0 / 0",
      "4 / 0",
      "0 / 0",
      "0 / 0",
    ]);
    expect(row(messages, "Fri, Nov 20")).toEqual([
      "Fri, Nov 20",
      "6",
      "6",
      "0 / 0",
      "0 / 0",
      "0 / 0",
      "6 / 6",
    ]);
    expect(row(messages, "Sun, Oct 25")).toEqual([
      "Sun, Oct 25",
      "0",
      "0",
      "0 / 0",
      "0 / 0",
      "0 / 0",
      "0 / 0",
    ]);
    expect(messages).not.toContain("Oct 24");
    expect(row(messages, "Total")).toEqual(["Total", "14", "9", "", "", "", ""]);
  });

  it("gives the median and p90 of the first staff reply, by percentile_cont", () => {
    const responses = section(body, "response-heading");
    expect(responses).toContain('<td class="num" data-seconds="300">5 min</td>');
    expect(responses).toContain('<td class="num" data-seconds="2400">40 min</td>');
    expect(row(responses, "Conversations opened")).toEqual(["Conversations opened", "6"]);
    expect(row(responses, "Answered by staff")).toEqual(["Answered by staff", "5"]);
    expect(responses).toContain("<title>Median: 5 min</title>");
    expect(responses).toContain(
      '<desc id="chart-response-desc">5 of 6 conversations got a reply from staff.</desc>',
    );
  });

  it("computes CSAT from rating events and surveys, counting each rating once", () => {
    const csat = section(body, "csat-heading");
    expect(csat).toContain("Average 3.43 out of 5 · 57.1% rated 4 or 5");
    expect(row(csat, "5 of 5")).toEqual(["5 of 5", "2", "28.6%"]);
    expect(row(csat, "4 of 5")).toEqual(["4 of 5", "2", "28.6%"]);
    expect(row(csat, "2 of 5")).toEqual(["2 of 5", "1", "14.3%"]);
    expect(row(csat, "1 of 5")).toEqual(["1 of 5", "1", "14.3%"]);
    expect(csat).toContain('<svg class="chart chart-w-675 chart-bars"');
    expect(csat).toContain("<title>3 of 5: 1</title>");
  });

  it("shows the campaign funnel from Delivery rows due in the window, the hold-out left out", () => {
    const funnel = section(body, "funnel-heading");
    expect(row(funnel, "Planned")).toEqual(["Planned", "7", "100%"]);
    expect(row(funnel, "Sent")).toEqual(["Sent", "4", "57.1%"]);
    expect(row(funnel, "Delivered")).toEqual(["Delivered", "3", "42.9%"]);
    expect(row(funnel, "Converted")).toEqual(["Converted", "2", "28.6%"]);
    expect(funnel).toContain("<title>Planned: 7</title>");
  });

  it("attributes revenue per channel and per campaign, one currency at a time", () => {
    const revenue = section(body, "revenue-heading");
    expect(row(revenue, "Email")).toEqual(["Email", "1", "PLN 100.00"]);
    expect(row(revenue, "Telegram")).toEqual(["Telegram", "1", "IDR 50,000"]);
    expect(revenue).toContain('<title id="chart-revenue-channel-pln-title">By channel (PLN)</title>');
    expect(revenue).toContain('<title id="chart-revenue-campaign-idr-title">By campaign (IDR)</title>');
    expect(revenue).toContain('<a href="/console/campaigns/promo">Autumn promo</a>');
  });

  it("counts new customers by first-touch source", () => {
    const sources = section(body, "sources-heading");
    expect(row(sources, "instagram")).toEqual(["instagram", "3"]);
    expect(row(sources, "facebook")).toEqual(["facebook", "1"]);
    expect(row(sources, "Unknown")).toEqual(["Unknown", "2"]);
    expect(row(sources, "Total")).toEqual(["Total", "6"]);
  });

  it("is open to every role and has no inline style or script", async () => {
    for (const browser of [admin, marketer]) {
      const page = await getPage(http, browser, "/console/dashboard");
      expect(page.statusCode).toBe(200);
      expect(page.body).not.toMatch(/style="|<style|<script>/);
    }
  });
});

describe("dashboard caching and time zones", () => {
  it("reuses the figures for 60 s, then recomputes them", async () => {
    const csat = async () => section((await getPage(http, admin, "/console/dashboard")).body, "csat-heading");
    const before = await csat();
    const late = await database.db.event.create({
      data: {
        customerId: await person(),
        type: "rating",
        externalId: "r-late",
        value: 5,
        occurredAt: at("2026-11-23T11:00:00Z"),
      },
    });
    try {
      expect(await csat()).toBe(before);
      clock.advance(61_000);
      expect(await csat()).toContain("8 ratings");
    } finally {
      // the other tests see the seed's figures, whatever runs after this one
      await database.db.event.delete({ where: { id: late.id } });
      clock.advance(61_000);
    }
  });

  it("groups days in the staff member's time zone", async () => {
    const page = await getPage(http, admin, "/console/dashboard", {
      cookie: `${admin.cookie}; rapport_tz=Asia/Jakarta`,
    });
    const messages = section(page.body, "messages-heading");
    expect(row(messages, "Sun, Nov 22")[1]).toBe("3");
    expect(row(messages, "Mon, Nov 23")[1]).toBe("1");
    expect(page.body).toContain("days in Asia/Jakarta");
  });
});

describe("the dashboard in Indonesian and Polish", () => {
  it("speaks the staff member's language with its number formats", async () => {
    for (const [locale, title, csat] of [
      ["id", "<h1>Dasbor</h1>", "Rata-rata 3,43 dari 5"],
      ["pl", "<h1>Pulpit</h1>", "Średnio 3,43 na 5"],
    ] as const) {
      const email = uniqueEmail(`agent-${locale}`);
      await addStaff(database.db, email, "agent", { locale });
      const browser = await signIn(http, email);
      const page = await getPage(http, browser, "/console/dashboard");
      expect(page.body).toContain(title);
      expect(page.body).toContain(csat);
    }
  });
});
