import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refreshRfm } from "../../campaigns/index.ts";
import { manualClock } from "../../lib/clock.ts";
import { useTestDatabase } from "../support/db.ts";
import { addStaff, type Browser, getPage, signIn, startConsole, uniqueEmail } from "./support.ts";

const database = useTestDatabase();
const NOW = Date.parse("2026-12-07T12:00:00Z");
const DAY = 86_400_000;
let http: FastifyInstance;
let agent: Browser;

beforeAll(async () => {
  ({ http } = await startConsole({ db: database.db, clock: manualClock(NOW) }));
  const email = uniqueEmail("agent");
  await addStaff(database.db, email, "agent", { locale: "pl" });
  agent = await signIn(http, email);
});
afterAll(() => http.close());

/** A buyer of 120 EUR 3 days ago, who opened an email 2 days ago, 40 days ago (outside 30 days), and answered a Telegram message. */
async function buyer(): Promise<string> {
  const customer = await database.db.customer.create({
    data: { email: uniqueEmail("buyer"), lastPurchaseAt: new Date(NOW - 3 * DAY) },
  });
  await database.db.event.create({
    data: {
      customerId: customer.id,
      type: "purchase",
      externalId: randomUUID(),
      value: "120.00",
      currency: "EUR",
      occurredAt: new Date(NOW - 3 * DAY),
    },
  });
  for (const [channel, sentDaysAgo, openedDaysAgo] of [
    ["email", 2, 2],
    ["email", 41, 40],
    ["telegram", 5, null],
  ] as const) {
    await database.db.delivery.create({
      data: {
        key: randomUUID(),
        customerId: customer.id,
        channel,
        status: "sent",
        sentAt: new Date(NOW - sentDaysAgo * DAY),
        openedAt: openedDaysAgo === null ? null : new Date(NOW - openedDaysAgo * DAY),
      },
    });
  }
  await database.db.interaction.create({
    data: {
      customerId: customer.id,
      channel: "telegram",
      direction: "inbound",
      author: "customer",
      text: "dzięki",
      sentAt: new Date(NOW - 5 * DAY + 3_600_000),
    },
  });
  return customer.id;
}

const attr = (body: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(body)?.[1];
const cell = (body: string, name: string) => new RegExp(`${name}>([^<]*)<`).exec(body)?.[1];

describe("RFM and engagement in the console", () => {
  it("the dashboard says there are no scores before the first refresh", async () => {
    const page = await getPage(http, agent, "/console/dashboard");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("Klienci według segmentu RFM");
    expect(page.body).toContain("Brak ocen RFM");
    expect(page.body).not.toContain("data-rfm-row");
  });

  it("shows the profile's segment, scores and engagement counts in the staff member's language", async () => {
    const id = await buyer();
    const never = await database.db.customer.create({ data: { email: uniqueEmail("window-shopper") } });
    await refreshRfm(database.db, { base: "EUR", rates: { EUR: "1" } }, new Date(NOW));
    const page = await getPage(http, agent, `/console/customers/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("RFM i zaangażowanie");
    // the only buyer ranks lowest on every axis: 1 · 1 · 1, lost
    expect(attr(page.body, "data-rfm-segment")).toBe("lost");
    expect(page.body).toContain("Utraceni");
    expect(cell(page.body, "data-rfm-scores")).toBe("1 · 1 · 1");
    expect(cell(page.body, 'data-engagement="opened"')).toBe("1");
    expect(cell(page.body, 'data-engagement="replied"')).toBe("1");
    expect(cell(page.body, 'data-engagement="clicked"')).toBe("0");
    expect(attr(page.body, "data-responds-on")).toBe("telegram");

    const other = await getPage(http, agent, `/console/customers/${never.id}`);
    expect(other.statusCode).toBe(200);
    expect(attr(other.body, "data-rfm-segment")).toBe("");
    expect(other.body).toContain("Bez oceny: brak zakupów");
    expect(attr(other.body, "data-responds-on")).toBe("");
  });

  it("shows the RFM segment in the conversation's customer panel", async () => {
    const [row] = await database.db.customerRfm.findMany({ where: { segment: "lost", recency: 1 } });
    expect(row).toBeDefined();
    const conversation = await database.db.conversation.create({
      data: { customerId: row!.customerId, channel: "telegram" },
    });
    const page = await getPage(http, agent, `/console/conversations/${conversation.id}`);
    expect(page.statusCode).toBe(200);
    expect(/data-fact="rfm">([^<]*)</.exec(page.body)?.[1]).toBe("Utraceni");
  });

  it("the dashboard shows customers per segment after a refresh", async () => {
    const page = await getPage(http, agent, "/console/dashboard");
    expect(page.statusCode).toBe(200);
    const rows = [
      ...page.body.matchAll(
        /data-rfm-row="([a-z_]+)"><th scope="row">([^<]*)<\/th><td class="num">([^<]*)</g,
      ),
    ];
    expect(rows).toHaveLength(10);
    expect(rows.map((r) => [r[1], r[3]])).toContainEqual(["lost", "1"]);
    expect(rows.find((r) => r[1] === "champions")?.slice(2)).toEqual(["Mistrzowie", "0"]);
  });
});
