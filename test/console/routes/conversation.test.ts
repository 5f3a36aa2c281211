import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileSegments } from "../../../campaigns/index.ts";
import type { LiveEvent } from "../../../console/index.ts";
import { manualClock } from "../../../lib/clock.ts";
import { segmentsOf } from "../../../workers/index.ts";
import { useTestDatabase } from "../../support/db.ts";
import { useTestRedis } from "../../support/redis.ts";
import { addConversation, startInboxConsole } from "../inbox/support.ts";
import { addStaff, type Browser, getPage, signIn, uniqueEmail } from "../support.ts";

const database = useTestDatabase();
const redis = useTestRedis();
// Tuesday 10 March 2026, 09:00 UTC: 16:00 in Jakarta
const NOW = Date.parse("2026-03-10T09:00:00Z");
const clock = manualClock(NOW);
const at = (iso: string) => new Date(iso);
const { segments } = compileSegments(
  ['vip: total_spent("IDR") > 150000', 'indonesia: country = "ID"', 'poland: country = "PL"'].join("\n"),
  "segments.yaml",
);
let http: FastifyInstance;
let events: LiveEvent[] = [];
let agent: Browser;
let marketer: Browser;
let siti: { customerId: string; conversationId: string };

/** The text of the element marked `data-fact="<name>"` on the page, whitespace collapsed. */
function fact(html: string, name: string): string {
  const match = new RegExp(`data-fact="${name}"[^>]*>([\\s\\S]*?)</(dd|ul|ol|table)>`).exec(html);
  if (!match) throw new Error(`no fact ${name}`);
  return match[1]!
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

beforeAll(async () => {
  const started = await startInboxConsole({
    db: database.db,
    redis: redis.redis,
    prefix: redis.prefix,
    clock,
    segmentsOf: (id) => segmentsOf(database.db, segments, id, new Date(clock.now())),
  });
  http = started.http;
  started.live.subscribe((event) => events.push(event));
  const agentEmail = uniqueEmail("agent");
  await addStaff(database.db, agentEmail, "agent");
  agent = await signIn(http, agentEmail);
  const marketerEmail = uniqueEmail("marketer");
  await addStaff(database.db, marketerEmail, "marketer");
  marketer = await signIn(http, marketerEmail);

  const db = database.db;
  siti = await addConversation(db, {
    name: "Siti Rahma",
    handle: "siti_r",
    locale: "id",
    timezone: "Asia/Jakarta",
    email: "siti@example.com",
    lastMessageAt: at("2026-03-10T08:55:00Z"),
    unreadCount: 3,
    // stored out of order: the page follows the platform's timestamps
    messages: [
      { text: "Third: still waiting", sentAt: at("2026-03-10T08:55:00Z") },
      { text: "First: where is my order?", sentAt: at("2026-03-10T08:40:00Z") },
      {
        text: "Second: a person will answer",
        sentAt: at("2026-03-10T08:41:00Z"),
        direction: "outbound",
        author: "bot",
      },
      {
        text: "Secret: VIP, be generous",
        sentAt: at("2026-03-10T08:50:00Z"),
        direction: "outbound",
        author: "staff",
        internal: true,
      },
    ],
  });
  const id = siti.customerId;
  await db.customer.update({
    where: { id },
    data: {
      country: "ID",
      source: "ig-autumn",
      consent: { telegram: { status: "granted", at: "2026-01-05T10:00:00.000Z", via: "/start" } },
      identities: {
        create: {
          channel: "email",
          externalId: "siti@example.com",
          avatarUrl: "https://cdn.example.com/siti.png",
        },
      },
    },
  });
  await db.suppression.create({
    data: { channel: "email", address: "siti@example.com", customerId: id, reason: "unsubscribed" },
  });
  const order = async (
    customerId: string,
    orderId: string,
    when: string,
    lines: Array<[string, string, number, number]>,
  ) => {
    const total = lines.reduce((sum, [, , qty, price]) => sum + qty * price, 0);
    const event = await db.event.create({
      data: {
        customerId,
        type: "purchase",
        externalId: orderId,
        value: total,
        currency: "IDR",
        occurredAt: at(when),
      },
    });
    for (const [sku, name, quantity, unitPrice] of lines)
      await db.purchase.create({
        data: {
          eventId: event.id,
          customerId,
          sku,
          name,
          quantity,
          unitPrice,
          currency: "IDR",
          occurredAt: at(when),
        },
      });
  };
  await order(id, "ORD-1", "2026-01-10T05:00:00Z", [["KOPI-250", "Kopi Gayo 250 g", 2, 50000]]);
  await order(id, "ORD-2", "2026-02-20T05:00:00Z", [
    ["MUG-01", "Enamel mug", 1, 75000],
    ["KOPI-250", "Kopi Gayo 250 g", 1, 50000],
  ]);
  for (const [i, score] of [4, 5].entries())
    await db.event.create({
      data: {
        customerId: id,
        type: "rating",
        externalId: `r-${i}`,
        value: score,
        occurredAt: at("2026-02-21T00:00:00Z"),
      },
    });
  // people who bought what Siti bought, and what else they bought
  const peer = async (skus: string[]) => {
    const other = await db.customer.create({ data: {} });
    await order(
      other.id,
      `P-${other.id}`,
      "2026-02-01T00:00:00Z",
      skus.map((sku) => [sku, `${sku} name`, 1, 1000]),
    );
  };
  await peer(["KOPI-250", "FILTER-V60"]);
  await peer(["KOPI-250", "FILTER-V60", "GRINDER"]);
  await peer(["MUG-01", "FILTER-V60", "TEA-JASMINE"]);
  await peer(["TEA-JASMINE"]); // bought nothing Siti bought: not a peer
  await db.campaign.create({ data: { id: "win-back", name: "Win back quiet customers" } });
  await db.delivery.create({
    data: {
      key: `d/win-back/main/${id}/1`,
      campaignId: "win-back",
      customerId: id,
      channel: "email",
      status: "sent",
      sentAt: at("2026-03-01T02:00:00Z"),
      openedAt: at("2026-03-01T03:00:00Z"),
      clickedAt: at("2026-03-01T03:01:00Z"),
      convertedAt: at("2026-03-02T03:00:00Z"),
    },
  });
});
afterAll(async () => {
  await http?.close();
});

describe("a conversation", () => {
  it("shows the messages in platform order, the note marked internal, and marks the conversation read", async () => {
    events = [];
    const response = await getPage(http, agent, `/console/conversations/${siti.conversationId}`);
    expect(response.statusCode, response.body).toBe(200);
    const html = response.body.slice(response.body.indexOf("data-thread"));
    const order = ["First:", "Second:", "Secret:", "Third:"].map((text) => html.indexOf(text));
    expect(order.every((position, i) => position > 0 && (i === 0 || position > order[i - 1]!))).toBe(true);
    expect(html).toMatch(/class="message message-note"[\s\S]*?Internal note[\s\S]*?Secret: VIP/);
    const conversation = await database.db.conversation.findUniqueOrThrow({
      where: { id: siti.conversationId },
    });
    expect(conversation.unreadCount).toBe(0);
    expect(events).toContainEqual(
      expect.objectContaining({ conversationId: siti.conversationId, kind: "status", status: "read" }),
    );
  });

  it("shows the customer panel: channels, local time, consent, lifetime value, orders, items, rating, segments, campaigns and a suggestion", async () => {
    const html = (await getPage(http, agent, `/console/conversations/${siti.conversationId}`)).body;
    expect(html).toContain('src="https://cdn.example.com/siti.png"');
    expect(fact(html, "local-time")).toBe("4:00 PM (Asia/Jakarta)");
    expect(fact(html, "locale")).toBe("id · ID");
    expect(fact(html, "source")).toBe("ig-autumn");
    expect(fact(html, "identities")).toContain("Telegram Siti Rahma @siti_r");
    expect(fact(html, "consent")).toMatch(/Telegram Allowed Jan 5, 2026 Email Blocked \(unsubscribed\)/);
    expect(fact(html, "ltv")).toBe("IDR 225,000");
    expect(fact(html, "orders")).toBe("2");
    expect(fact(html, "purchases")).toBe(
      "Feb 20, 2026 · ORD-2 · IDR 125,000 1 × Kopi Gayo 250 g KOPI-250 · IDR 50,000 1 × Enamel mug MUG-01 · IDR 75,000",
    );
    expect(html).toMatch(
      /ORD-2[\s\S]*Jan 10, 2026<\/time> · ORD-1 · <strong>IDR\s100,000<\/strong>[\s\S]*2 × Kopi Gayo 250 g/,
    );
    expect(fact(html, "rating")).toBe("4.5 of 5 · ratings: 2");
    expect(fact(html, "segments")).toBe("vip indonesia");
    expect(fact(html, "campaigns")).toMatch(
      /Win back quiet customers Email Sent Mar 1, 2026 · opened · clicked · bought/,
    );
    expect(fact(html, "suggestions")).toBe(
      "FILTER-V60 name FILTER-V60 · similar customers who bought it: 3 GRINDER name GRINDER · similar customers who bought it: 1 TEA-JASMINE name TEA-JASMINE · similar customers who bought it: 1",
    );
  });

  it("reads consent and lifetime value as the profile does: an unknown answer is not asked, refunds count", async () => {
    const odd = await addConversation(database.db, {
      name: "Odd Consent",
      lastMessageAt: at("2026-03-08T00:00:00Z"),
    });
    await database.db.customer.update({
      where: { id: odd.customerId },
      data: { consent: { telegram: { status: "pending", at: "2026-01-05T00:00:00Z" } } },
    });
    const event = (type: string, externalId: string, value: string) =>
      database.db.event.create({
        data: {
          customerId: odd.customerId,
          type,
          externalId,
          value,
          currency: "PLN",
          occurredAt: at("2026-02-01T00:00:00Z"),
        },
      });
    await event("purchase", `odd-${odd.customerId}-1`, "300.00");
    await event("refund", `odd-${odd.customerId}-r`, "120.00");
    const response = await getPage(http, agent, `/console/conversations/${odd.conversationId}`);
    expect(response.statusCode, response.body).toBe(200);
    expect(fact(response.body, "consent")).toBe("Channel Marketing Telegram Not asked");
    expect(fact(response.body, "ltv")).toBe("PLN 180.00");
    expect(fact(response.body, "orders")).toBe("1");
  });

  it("shows marketers the conversation without the reply box or actions, and leaves it unread", async () => {
    await database.db.conversation.update({ where: { id: siti.conversationId }, data: { unreadCount: 1 } });
    const html = (await getPage(http, marketer, `/console/conversations/${siti.conversationId}`)).body;
    expect(html).toContain("You can read this conversation.");
    expect(html).not.toContain("data-reply-form");
    expect(html).not.toContain("/assign");
    const conversation = await database.db.conversation.findUniqueOrThrow({
      where: { id: siti.conversationId },
    });
    expect(conversation.unreadCount).toBe(1);
  });

  it("serves one message as a fragment by its ref, only within its conversation", async () => {
    const interaction = await database.db.interaction.findFirstOrThrow({
      where: { conversationId: siti.conversationId, text: { startsWith: "First" } },
    });
    const item = await getPage(
      http,
      agent,
      `/console/conversations/${siti.conversationId}/items/i-${interaction.id}`,
      { accept: "*/*" },
    );
    expect(item.statusCode).toBe(200);
    expect(item.body.trim()).toMatch(/^<li class="message message-in" id="i-/);
    const other = await addConversation(database.db, { lastMessageAt: new Date(NOW) });
    const elsewhere = await getPage(
      http,
      agent,
      `/console/conversations/${other.conversationId}/items/i-${interaction.id}`,
      { accept: "*/*" },
    );
    expect(elsewhere.statusCode).toBe(404);
  });

  it("pages back through a long conversation, 200 messages at a time, and links back to the latest", async () => {
    const long = await addConversation(database.db, {
      name: "Chatty Customer",
      lastMessageAt: at("2026-03-09T00:00:00Z"),
    });
    const start = Date.parse("2026-03-01T00:00:00Z");
    await database.db.interaction.createMany({
      data: Array.from({ length: 450 }, (_, i) => ({
        customerId: long.customerId,
        conversationId: long.conversationId,
        channel: "telegram" as const,
        externalId: `long-${long.conversationId}-${i}`,
        direction: "inbound" as const,
        author: "customer",
        text: `Message number ${i + 1}.`,
        sentAt: new Date(start + i * 60_000),
      })),
    });
    const numbers = (html: string) =>
      [...html.slice(html.indexOf("data-thread")).matchAll(/Message number (\d+)\./g)].map((m) =>
        Number(m[1]),
      );
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    const path = `/console/conversations/${long.conversationId}`;

    const latest = (await getPage(http, agent, path)).body;
    expect(numbers(latest)).toEqual(range(251, 450));
    // Handlebars escapes "=" in attributes; the browser reads it back
    const linkIn = (html: string) =>
      /href="([^"]+)" data-earlier/.exec(html)?.[1]?.replaceAll("&#x3D;", "=").replaceAll("&amp;", "&");
    const earlierLink = linkIn(latest);
    expect(earlierLink).toMatch(/\?before=[0-9a-f-]{36}$/);
    expect(latest).toContain("Show the 200 messages before these");

    const middle = (await getPage(http, agent, earlierLink!)).body;
    expect(numbers(middle)).toEqual(range(51, 250));
    expect(middle).toContain("You are looking at earlier messages.");
    expect(middle).toContain(`href="${path}"`);
    const oldestLink = linkIn(middle);
    const oldest = (await getPage(http, agent, oldestLink!)).body;
    expect(numbers(oldest)).toEqual(range(1, 50));
    expect(oldest).not.toContain("data-earlier");

    // a message of another conversation is no cursor: the latest messages again
    const foreign = await database.db.interaction.findFirstOrThrow({
      where: { conversationId: siti.conversationId },
    });
    expect(numbers((await getPage(http, agent, `${path}?before=${foreign.id}`)).body)).toEqual(
      range(251, 450),
    );
  });

  it("answers 404 for a conversation that does not exist", async () => {
    const response = await getPage(
      http,
      agent,
      "/console/conversations/00000000-0000-4000-8000-000000000000",
    );
    expect(response.statusCode).toBe(404);
    expect((await getPage(http, agent, "/console/conversations/nope")).statusCode).toBe(404);
  });
});
