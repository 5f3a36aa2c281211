import fc from "fast-check";
import { afterAll, beforeAll, it } from "vitest";
import { assertAlive, clientIp, namesField, send, sendChecked, useFuzzApp } from "./support/app.ts";
import { type GeneratedRequest, parsesAsJson, requestsFor } from "./support/requests.ts";
import { checkProperty, useFuzzSummary } from "./support/run.ts";
import { hostileString } from "./support/values.ts";

const fuzz = useFuzzApp();
const summary = useFuzzSummary("webchat-api");
/** Real visitors: a generated body's placeholders become one of them, spreading the per-visitor rate limit. */
const visitors: { visitorId: string; token: string }[] = [];
const VISITORS = 12;

beforeAll(async () => {
  for (let i = 0; i < VISITORS; i++) {
    const response = await send(fuzz.app.url!, {
      method: "POST",
      path: "/webchat/api/session",
      headers: { "content-type": "application/json", "x-forwarded-for": clientIp(i + 1) },
      body: Buffer.from(JSON.stringify({ locale: "id-ID", timezone: "Asia/Jakarta" })),
    });
    if (response.status !== 201) throw new Error(`no visitor: ${response.status} ${response.body}`);
    visitors.push(JSON.parse(response.body.toString("utf8")));
  }
});
afterAll(async () => {
  await assertAlive(fuzz.app.url!);
});

const VISITOR = "00000000-0000-4000-8000-00000000f00d";
const TOKEN = "@TOKEN@";

/** Puts a real visitor in place of the placeholders, when the body is text. */
function withVisitor(body: Buffer, client: number): Buffer {
  const text = body.toString("utf8");
  if (!Buffer.from(text, "utf8").equals(body)) return body;
  const visitor = visitors[client % visitors.length]!;
  return Buffer.from(text.replaceAll(VISITOR, visitor.visitorId).replaceAll(TOKEN, visitor.token));
}

const ENDPOINTS = [
  {
    path: "/webchat/api/session",
    samples: [{}, { locale: "pl-PL", timezone: "Europe/Warsaw" }, { visitorId: VISITOR, token: TOKEN }],
  },
  {
    path: "/webchat/api/messages",
    samples: [
      {
        visitorId: VISITOR,
        token: TOKEN,
        clientMessageId: "m-1a2b3c",
        text: "Halo, ada ukuran M?",
        locale: "id",
      },
    ],
  },
  {
    path: "/webchat/api/identify",
    samples: [{ visitorId: VISITOR, token: TOKEN, email: "siti@example.com" }],
  },
  { path: "/webchat/api/verify", samples: [{ visitorId: VISITOR, token: TOKEN, code: "123456" }] },
  {
    path: "/webchat/api/subscribe",
    samples: [{ visitorId: VISITOR, token: TOKEN, email: "ayu@example.com" }],
  },
];

it.each(ENDPOINTS)(
  "answers every generated body to POST $path with 2xx or a 4xx naming the field, and a refusal writes nothing",
  async ({ path, samples }) => {
    let n = 0;
    await checkProperty(
      summary,
      `POST ${path}`,
      requestsFor(...samples),
      async (request: GeneratedRequest) => {
        // every request its own message id, so a valid one is a new message rather than a repeat
        const body = withVisitor(request.body, request.client);
        const unique = Buffer.from(body.toString("utf8").replace("m-1a2b3c", `m-${n++}`));
        const sent = Buffer.from(unique.toString("utf8"), "utf8").equals(body) ? body : unique;
        const response = await sendChecked(fuzz.db, fuzz.app.url!, {
          method: "POST",
          path,
          headers: { "content-type": request.contentType, "x-forwarded-for": clientIp(request.client) },
          body: sent,
        });
        summary.count(`POST ${path}`, response.status);
        const asJson = request.contentType?.toLowerCase().startsWith("application/json");
        if (response.status === 400 && asJson && parsesAsJson(sent) && !namesField(response))
          throw new Error(`400 without the field: ${response.body.toString().slice(0, 200)}`);
      },
      50,
    );
  },
);

/** Percent-encodes every byte of the text's UTF-8, so any string (lone surrogates too) makes a URL. */
function encodeBytes(text: string): string {
  return Buffer.from(text, "utf8").toString("hex").replace(/../g, "%$&");
}

const queryValue = fc.oneof(
  fc.constantFrom(VISITOR, TOKEN).map((v) => ({ raw: false, v })),
  hostileString.filter((s) => s.length < 5_000).map((v) => ({ raw: false, v })),
  fc.constantFrom("%", "%zz", "%00", "%ff%fe", "a&b=c", "%E0%A4%A", "+").map((v) => ({ raw: true, v })),
);

const GET_ENDPOINTS = ["/webchat/api/history", "/webchat/api/events"];

it.each(GET_ENDPOINTS)(
  "answers every generated query of GET %s with 2xx or a 4xx naming the field",
  async (path) => {
    await checkProperty(
      summary,
      `GET ${path}`,
      fc.record({
        // a third of the queries start from a real visitor, so the accepted path is fuzzed too
        real: fc.boolean().chain((b) => (b ? fc.boolean() : fc.constant(false))),
        fields: fc.dictionary(
          fc.constantFrom("visitorId", "token", "lastEventId", "visitorId[]", "__proto__"),
          queryValue,
          {
            maxKeys: 4,
          },
        ),
        client: fc.nat({ max: 1 << 24 }),
      }),
      async ({ real, fields, client }) => {
        const visitor = visitors[client % visitors.length]!;
        const start = real ? { visitorId: { raw: false, v: VISITOR }, token: { raw: false, v: TOKEN } } : {};
        const query = Object.entries({ ...start, ...fields })
          .map(([key, { raw, v }]) => {
            const value = v === VISITOR ? visitor.visitorId : v === TOKEN ? visitor.token : v;
            return `${key}=${raw ? value : encodeBytes(value)}`;
          })
          .join("&");
        const response = await sendChecked(fuzz.db, fuzz.app.url!, {
          method: "GET",
          path: `${path}?${query}`,
          headers: { "x-forwarded-for": clientIp(client) },
        });
        summary.count(`GET ${path}`, response.status);
        if (response.status === 400 && !namesField(response))
          throw new Error(`400 without the field: ${response.body.toString().slice(0, 200)}`);
      },
      50,
    );
  },
);
