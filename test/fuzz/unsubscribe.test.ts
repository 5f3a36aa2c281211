import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, it } from "vitest";
import { unsubscribeToken } from "../../bots/index.ts";
import { SENDING_CHANNEL_NAMES } from "../../lib/channels.ts";
import { assertAlive, clientIp, rowCounts, sendChecked, useFuzzApp } from "./support/app.ts";
import { checkProperty, useFuzzSummary } from "./support/run.ts";
import { brokenBodies, contentType, hostileString } from "./support/values.ts";

const LINK_SECRET = "fuzz-link-secret-0123456789abcdef";
const fuzz = useFuzzApp(() => ({ RAPPORT_LINK_SECRET: LINK_SECRET }));
const summary = useFuzzSummary("unsubscribe");
const customers: string[] = [];

beforeAll(async () => {
  for (const locale of ["en", "id", "pl"]) {
    const customer = await fuzz.db.customer.create({
      data: { locale, email: `${randomUUID()}@example.com` },
    });
    customers.push(customer.id);
  }
});
afterAll(async () => {
  await assertAlive(fuzz.app.url!);
});

/** Percent-encodes every byte, so any string (lone surrogates too) can stand in the path. */
const encodeBytes = (text: string) => Buffer.from(text, "utf8").toString("hex").replace(/../g, "%$&");

/** A token: a real one (known or unknown customer), one changed in a place, or anything at all. */
const token = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .record({
        customer: fc.nat(),
        known: fc.boolean(),
        channel: fc.constantFrom(...SENDING_CHANNEL_NAMES),
        delivery: fc.boolean(),
      })
      .map(({ customer, known, channel, delivery }) =>
        unsubscribeToken(LINK_SECRET, {
          customerId: known ? customers[customer % customers.length]! : randomUUID(),
          channel,
          ...(delivery && { deliveryId: randomUUID() }),
        }),
      ),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({
        at: fc.nat(),
        char: fc.constantFrom("A", "_", "-", "=", "%00", "/", ".", "%2e%2e"),
        cut: fc.boolean(),
      })
      .map(({ at, char, cut }) => {
        const real = unsubscribeToken(LINK_SECRET, { customerId: randomUUID(), channel: "email" });
        const i = at % real.length;
        return cut ? real.slice(0, i) || "x" : `${real.slice(0, i)}${char}${real.slice(i + 1)}`;
      }),
  },
  { weight: 2, arbitrary: hostileString.filter((s) => s.length > 0 && s.length < 3_000).map(encodeBytes) },
);

it("answers every generated unsubscribe link with a page (2xx or 4xx), never 5xx; a refusal and a GET write nothing", async () => {
  await checkProperty(
    summary,
    "/u/<token>",
    fc.record({
      token,
      method: fc.constantFrom("GET" as const, "POST" as const),
      body: fc.oneof(
        fc.constantFrom("List-Unsubscribe=One-Click", "").map((text) => Buffer.from(text)),
        brokenBodies('{"List-Unsubscribe":"One-Click"}'),
      ),
      contentType,
      language: fc.constantFrom(undefined, "pl-PL,pl;q=0.9", "id", "*", "xx-\u00ff", "en;q=abc"),
      client: fc.nat({ max: 1 << 24 }),
    }),
    async (request) => {
      const before = await rowCounts(fuzz.db);
      const response = await sendChecked(
        fuzz.db,
        fuzz.app.url!,
        {
          method: request.method,
          path: `/u/${request.token}`,
          headers: {
            "x-forwarded-for": clientIp(request.client),
            "accept-language": request.language?.replace(/[^\x20-\x7e]/g, "?"),
            ...(request.method === "POST" && { "content-type": request.contentType }),
          },
          body: request.method === "POST" ? request.body : undefined,
        },
        { html: true },
      );
      summary.count(`${request.method} /u/<token>`, response.status);
      if (request.method === "GET") {
        const after = await rowCounts(fuzz.db);
        if (JSON.stringify(after) !== JSON.stringify(before))
          throw new Error(
            `GET changed rows (mail scanners open links): ${JSON.stringify({ before, after })}`,
          );
      }
    },
    80,
  );
});
