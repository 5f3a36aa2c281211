import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, it } from "vitest";
import { confirmToken } from "../../bots/index.ts";
import { assertAlive, clientIp, rowCounts, sendChecked, useFuzzApp } from "./support/app.ts";
import { checkProperty, useFuzzSummary } from "./support/run.ts";
import { brokenBodies, contentType, hostileString } from "./support/values.ts";

// The double opt-in page (bots/double-opt-in-routes.ts): any link, any body, never a 5xx; a GET never writes.
const LINK_SECRET = "fuzz-link-secret-0123456789abcdef";
const fuzz = useFuzzApp(() => ({ RAPPORT_LINK_SECRET: LINK_SECRET }));
const summary = useFuzzSummary("double-opt-in");
const customers: Array<{ id: string; email: string }> = [];

beforeAll(async () => {
  for (const locale of ["en", "id", "pl"]) {
    const email = `${randomUUID()}@example.com`;
    const customer = await fuzz.db.customer.create({ data: { locale, email } });
    customers.push({ id: customer.id, email });
  }
});
afterAll(async () => {
  await assertAlive(fuzz.app.url!);
});

/** Percent-encodes every byte, so any string (lone surrogates too) can stand in the path. */
const encodeBytes = (text: string) => Buffer.from(text, "utf8").toString("hex").replace(/../g, "%$&");
const DAY = 24 * 3_600_000;

/** A token: a real one (known customer or not, their address or not, fresh or old), one changed, or anything. */
const token = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .record({ customer: fc.nat(), known: fc.boolean(), own: fc.boolean(), ageDays: fc.nat({ max: 9 }) })
      .map(({ customer, known, own, ageDays }) => {
        const someone = customers[customer % customers.length]!;
        return confirmToken(LINK_SECRET, {
          customerId: known ? someone.id : randomUUID(),
          channel: "email",
          address: own ? someone.email : `${randomUUID()}@example.com`,
          sentAt: new Date(Date.now() - ageDays * DAY),
        });
      }),
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
        const someone = customers[at % customers.length]!;
        const real = confirmToken(LINK_SECRET, {
          customerId: someone.id,
          channel: "email",
          address: someone.email,
          sentAt: new Date(),
        });
        const i = at % real.length;
        return cut ? real.slice(0, i) || "x" : `${real.slice(0, i)}${char}${real.slice(i + 1)}`;
      }),
  },
  { weight: 2, arbitrary: hostileString.filter((s) => s.length > 0 && s.length < 3_000).map(encodeBytes) },
);

it("answers every generated confirm link with a page (2xx or 4xx), never 5xx; a GET writes nothing", async () => {
  await checkProperty(
    summary,
    "/confirm/<token>",
    fc.record({
      token,
      method: fc.constantFrom("GET" as const, "POST" as const),
      body: fc.oneof(fc.constant(Buffer.from("")), brokenBodies('{"yes":true}')),
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
          path: `/confirm/${request.token}`,
          headers: {
            "x-forwarded-for": clientIp(request.client),
            "accept-language": request.language?.replace(/[^\x20-\x7e]/g, "?"),
            ...(request.method === "POST" && { "content-type": request.contentType }),
          },
          body: request.method === "POST" ? request.body : undefined,
        },
        { html: true },
      );
      summary.count(`${request.method} /confirm/<token>`, response.status);
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
