import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bestName } from "../../../console/customers/name.ts";
import { manualClock } from "../../../lib/clock.ts";
import { useTestDatabase } from "../../support/db.ts";
import { useTestRedis } from "../../support/redis.ts";
import { addStaff, type Browser, getPage, signIn, uniqueEmail } from "../support.ts";
import { addConversation, startInboxConsole } from "./support.ts";

const database = useTestDatabase();
const redis = useTestRedis();
const NOW = Date.parse("2026-03-10T09:00:00Z");
const clock = manualClock(NOW);
const minutesAgo = (n: number) => new Date(NOW - n * 60_000);
const AWAY = "Thanks for your message! We are away right now (Mon–Fri 09:00–18:00); a person will answer.";
let http: FastifyInstance;
let agent: Browser;
let polish: Browser;
const ids: Record<string, string> = {};
const emails: Record<string, string> = {};

/** The text of the inbox row of a conversation, tags stripped, whitespace collapsed. */
function rowOf(html: string, conversationId: string) {
  const li = new RegExp(`id="conv-${conversationId}"[\\s\\S]*?</li>`).exec(html)?.[0];
  if (!li) throw new Error(`no row for ${conversationId}`);
  const text = (cls: string) =>
    (new RegExp(`class="${cls}">([\\s\\S]*?)</span>\\s*<span class="inbox-`).exec(li)?.[1] ?? "")
      .replace(/<[^>]+>/g, "")
      .replace(/\s+/g, " ")
      .trim();
  return { name: text("inbox-name"), preview: text("inbox-preview") };
}

const heading = (html: string, id: string) => (new RegExp(`id="${id}">([^<]*)`).exec(html)?.[1] ?? "").trim();

beforeAll(async () => {
  ({ http } = await startInboxConsole({ db: database.db, redis: redis.redis, prefix: redis.prefix, clock }));
  const email = uniqueEmail("agent");
  await addStaff(database.db, email, "agent");
  agent = await signIn(http, email);
  const polishEmail = uniqueEmail("agent-pl");
  await addStaff(database.db, polishEmail, "agent", { locale: "pl" });
  polish = await signIn(http, polishEmail);
  const db = database.db;
  emails.jan = uniqueEmail("jan");
  ids.emailOnly = (
    await addConversation(db, {
      name: null,
      email: emails.jan,
      channel: "webchat",
      lastMessageAt: minutesAgo(1),
      messages: [
        { text: "Where is my order 1042?", sentAt: minutesAgo(3) },
        { text: AWAY, sentAt: minutesAgo(3), direction: "outbound", author: "bot" },
        { text: "Internal: check the courier", sentAt: minutesAgo(2), author: "staff", internal: true },
        { text: "We are looking into it", sentAt: minutesAgo(1), direction: "outbound", author: "staff" },
      ],
    })
  ).conversationId;
  ids.handleOnly = (
    await addConversation(db, {
      name: null,
      handle: "kasia_pl",
      channel: "x",
      lastMessageAt: minutesAgo(2),
      messages: [{ text: "@brand is the sale still on?", sentAt: minutesAgo(2) }],
    })
  ).conversationId;
  const city = await addConversation(db, {
    name: null,
    channel: "webchat",
    locale: "pl",
    lastMessageAt: minutesAgo(3),
    messages: [{ text: "Dzień dobry, mam pytanie", sentAt: minutesAgo(3) }],
  });
  await db.customer.update({ where: { id: city.customerId }, data: { address: { city: "Kraków" } } });
  ids.city = city.conversationId;
  ids.nothing = (
    await addConversation(db, {
      name: null,
      channel: "webchat",
      locale: "pl",
      lastMessageAt: minutesAgo(4),
      messages: [{ text: AWAY, sentAt: minutesAgo(4), direction: "outbound", author: "bot" }],
    })
  ).conversationId;
  ids.named = (
    await addConversation(db, {
      name: "Siti Rahma",
      email: uniqueEmail("siti"),
      handle: "siti_r",
      lastMessageAt: minutesAgo(5),
      messages: [{ text: "Halo kak", sentAt: minutesAgo(5) }],
    })
  ).conversationId;
});
afterAll(async () => {
  await http?.close();
});

describe("a customer's name in the console", () => {
  it("lists each conversation under the best name known: name, email, @handle, city, language", async () => {
    const response = await getPage(http, agent, "/console/inbox");
    expect(response.statusCode, response.body).toBe(200);
    const html = response.body;
    expect(html).not.toContain("Unknown customer");
    expect(rowOf(html, ids.emailOnly!).name).toBe(emails.jan);
    expect(rowOf(html, ids.handleOnly!).name).toBe("@kasia_pl");
    expect(rowOf(html, ids.city!).name).toBe("Visitor from Kraków");
    expect(rowOf(html, ids.nothing!).name).toBe("Visitor speaking Polish");
    expect(rowOf(html, ids.named!).name).toBe("Siti Rahma @siti_r");
  });

  it("names them in the staff member's language", async () => {
    const html = (await getPage(http, polish, "/console/inbox")).body;
    expect(html).not.toContain("Nieznany klient");
    expect(rowOf(html, ids.city!).name).toBe("Gość (Kraków)");
    expect(rowOf(html, ids.nothing!).name).toBe("Gość, język: polski");
  });

  it("names them by email in the conversation's header and its customer panel", async () => {
    const response = await getPage(http, agent, `/console/conversations/${ids.emailOnly}`);
    expect(response.statusCode, response.body).toBe(200);
    expect(heading(response.body, "conversation-title")).toBe(emails.jan);
    expect(heading(response.body, "panel-title")).toBe(emails.jan);
    expect(response.body).not.toContain("Unknown customer");
  });

  it("picks in order: name, the channel's name, email, handle, phone, city, country, language", () => {
    const all = {
      name: "Ana",
      displayName: "Ana T.",
      email: "ana@example.com",
      handle: "ana",
      phone: "+48600100200",
      city: "Gdańsk",
      country: "PL",
      locale: "pl",
    };
    const order = ["name", "displayName", "email", "handle", "phone", "city", "country", "locale"] as const;
    const seen = order.map((_, i) => {
      const parts: Record<string, string | null> = { ...all };
      for (const key of order.slice(0, i)) parts[key] = null;
      return bestName(parts, "en");
    });
    expect(seen).toEqual([
      "Ana",
      "Ana T.",
      "ana@example.com",
      "@ana",
      "+48600100200",
      "Visitor from Gdańsk",
      "Visitor from Poland",
      "Visitor speaking Polish",
    ]);
    expect(bestName({ name: "  ", email: " " }, "id")).toBe("Pengunjung");
    // a customer list's row: its identities name it
    expect(bestName({ identities: [{ handle: null }, { handle: "kasia_pl" }] }, "en")).toBe("@kasia_pl");
  });
});

describe("the inbox preview", () => {
  it("shows the customer's last words, not the away message, a note or a staff reply after them", async () => {
    const html = (await getPage(http, agent, "/console/inbox")).body;
    expect(rowOf(html, ids.emailOnly!).preview).toBe("Where is my order 1042?");
    expect(rowOf(html, ids.handleOnly!).preview).toBe("@brand is the sale still on?");
  });

  it("shows the bot's message, marked as sent, only when the customer has written nothing", async () => {
    const html = (await getPage(http, agent, "/console/inbox")).body;
    expect(rowOf(html, ids.nothing!).preview).toBe(`Sent: ${AWAY}`);
  });

  it("keeps the preview through the live row update", async () => {
    const response = await getPage(http, agent, `/console/inbox/rows/${ids.emailOnly}`);
    expect(response.statusCode).toBe(200);
    expect(rowOf(response.body, ids.emailOnly!)).toEqual({
      name: emails.jan,
      preview: "Where is my order 1042?",
    });
  });
});
