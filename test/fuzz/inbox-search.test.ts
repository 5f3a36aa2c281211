import fc from "fast-check";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { addConversation, startInboxConsole } from "../console/inbox/support.ts";
import { addStaff, type Browser, getPage, postForm, signIn, uniqueEmail } from "../console/support.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { checkProperty, useFuzzSummary } from "./support/run.ts";
import { hostileString } from "./support/values.ts";

// The inbox's message search (`q`, PostgreSQL full text) and label filter (`label`) take whatever a URL can
// hold, and a conversation's labels whatever a form can post: never a 5xx, and the page still lists.
const database = useTestDatabase();
const { redis, prefix } = useTestRedis();
const summary = useFuzzSummary("inbox-search");
let http: FastifyInstance;
let browser: Browser;
let conversationId: string;

beforeAll(async () => {
  ({ http } = await startInboxConsole({ db: database.db, redis, prefix }));
  const email = uniqueEmail("search");
  await addStaff(database.db, email, "agent");
  browser = await signIn(http, email);
  ({ conversationId } = await addConversation(database.db, {
    name: "Kasia",
    lastMessageAt: new Date(),
    messages: [{ text: "Gdzie jest moje zamówienie? Pesanan saya belum sampai", sentAt: new Date() }],
  }));
});
afterAll(async () => {
  await http.close();
});

/** What tsquery and web-search syntax make of: operators, quotes, prefixes, weights, and words. */
const PIECES = [
  '"',
  "'",
  "&",
  "|",
  "!",
  "!!",
  ":*",
  ":A",
  "<->",
  "<2>",
  "(",
  ")",
  "-",
  "--",
  " or ",
  " OR ",
  " and ",
  "\\",
  ":",
  "*",
  " ",
  "\t",
  "zamówienie",
  "pesanan",
  "ZAMÓWIENIE",
  "1042",
  "%",
  "_",
  "\u0000",
  "\ud800",
  "😀",
  "ǅ",
  "e\u0301",
];

const query = fc.oneof(
  fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 14 }).map((p) => p.join("")),
  hostileString,
  fc.string({ unit: "binary", maxLength: 80 }),
);

/** Bytes of text as %XX (lone surrogates become U+FFFD, as a browser sends them). */
function encoded(text: string): string {
  return [...Buffer.from(text, "utf8")].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");
}

it("answers the inbox, a live row and the conversation page for any search or label, never with a 5xx", async () => {
  await checkProperty(
    summary,
    "GET /console/inbox?q=&label=",
    fc.record({ q: query, label: query, status: fc.constantFrom("", "open", "closed", "snoozed") }),
    async ({ q, label, status }) => {
      const params = `q=${encoded(q)}&label=${encoded(label)}&status=${status}`;
      for (const url of [
        `/console/inbox?${params}`,
        `/console/inbox/rows/${conversationId}?${params}`,
        `/console/conversations/${conversationId}?${params}`,
      ]) {
        const response = await getPage(http, browser, url, url.includes("/rows/") ? { accept: "*/*" } : {});
        summary.count(url.split("?")[0]!.replace(conversationId, ":id"), response.statusCode);
        expect(response.statusCode, `${url}: ${response.body.slice(0, 300)}`).toBeLessThan(500);
        expect([200, 204], url).toContain(response.statusCode);
      }
    },
    60,
  );
});

it("adds and removes any posted label without a 5xx: stored only as a label, or refused with 400", async () => {
  await checkProperty(
    summary,
    "POST /console/conversations/:id/labels",
    fc.record({ field: fc.constantFrom("add", "remove"), value: query }),
    async ({ field, value }) => {
      const response = await postForm(http, browser, `/console/conversations/${conversationId}/labels`, {
        [field]: value.replace(/[\ud800-\udfff]/g, ""),
        _csrf: browser.csrf,
      });
      summary.count("POST /console/conversations/:id/labels", response.statusCode);
      expect([303, 400], response.body.slice(0, 300)).toContain(response.statusCode);
      const stored = await database.db.conversation.findUniqueOrThrow({ where: { id: conversationId } });
      for (const label of stored.labels)
        expect(label).toMatch(/^[\p{Ll}\p{Lo}\p{N}][\p{Ll}\p{Lo}\p{N}_-]{0,39}$/u);
      // keep room under the cap of 20 labels a conversation
      if (stored.labels.length > 15)
        await database.db.conversation.update({ where: { id: conversationId }, data: { labels: [] } });
    },
    120,
  );
});
