import { createHmac } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, it } from "vitest";
import { createApiToken } from "../../lib/api-tokens.ts";
import { assertAlive, clientIp, namesField, sendChecked, useFuzzApp } from "./support/app.ts";
import { parsesAsJson, requestsFor } from "./support/requests.ts";
import { checkProperty, useFuzzSummary } from "./support/run.ts";

const AUTH_TOKEN = "fuzz-twilio-auth-token-0123456789";
const PUBLIC_URL = "https://crm.example.com";
const fuzz = useFuzzApp(() => ({ TWILIO_AUTH_TOKEN: AUTH_TOKEN, PUBLIC_URL }));
const summary = useFuzzSummary("calls");
let calls: string;
let other: string;

beforeAll(async () => {
  calls = (await createApiToken(fuzz.db, { name: "PBX", scopes: ["calls:write"], createdBy: "cli:test" }))
    .token;
  other = (await createApiToken(fuzz.db, { name: "shop", scopes: ["events:write"], createdBy: "cli:test" }))
    .token;
});
afterAll(async () => {
  await assertAlive(fuzz.app.url!);
});

/** README's example report, and the end of a call with its agent and duration. */
const RINGING = { from: "+48601234567", to: "+48221234567", callId: "pbx-1042", state: "ringing" };
const ENDED = { ...RINGING, state: "ended", agent: "agent@example.com", durationSeconds: 125 };

it("answers every generated call report 2xx or a 4xx naming the field, never 5xx, and a refusal writes nothing", async () => {
  await checkProperty(
    summary,
    "POST /api/calls",
    requestsFor(RINGING, ENDED),
    async (request) => {
      const token = request.signing === "signed" ? calls : request.signing === "wrong" ? other : undefined;
      const response = await sendChecked(
        fuzz.db,
        fuzz.app.url!,
        {
          method: "POST",
          path: "/api/calls",
          headers: {
            "content-type": request.contentType,
            authorization: token && `Bearer ${token}`,
            "x-forwarded-for": clientIp(request.client),
          },
          body: request.body,
        },
        // every use of a token is audited, refused or not (lib/api-tokens.ts)
        { keeps: ["AuditLog"] },
      );
      summary.count("POST /api/calls", response.status);
      if (request.signing !== "signed" && response.status < 300)
        throw new Error(`a request with ${request.signing} token was accepted with ${response.status}`);
      const asJson = request.contentType?.toLowerCase().startsWith("application/json");
      if (response.status === 400 && asJson && request.signing === "signed" && parsesAsJson(request.body)) {
        if (!namesField(response))
          throw new Error(`400 without the field: ${response.body.toString().slice(0, 200)}`);
      }
    },
    100,
  );
});

/** Twilio's signature as its documentation gives it (independent of the twilio package the app uses). */
function twilioSignature(url: string, params: [string, string][]): string {
  const sorted = [...params].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const data = sorted.reduce((text, [name, value]) => text + name + value, url);
  return createHmac("sha1", AUTH_TOKEN).update(data, "utf8").digest("base64");
}

const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: "binary", maxLength: 40 }));
/** A text as the server reads it back: lone surrogates become U+FFFD in UTF-8. */
const readBack = (value: string) => Buffer.from(value).toString();
/** Mostly right, sometimes anything. */
const mostly = <T>(right: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 6, arbitrary: right }, { weight: 1, arbitrary: text });
/** Twilio's fields, each mostly right, sometimes anything; the optional ones sometimes missing; plus fields of no meaning. */
const twilioForm = fc
  .record(
    {
      // a few calls, reported many times: each report must find the earlier ones' row usable
      CallSid: mostly(fc.constantFrom(...["1", "2", "3"].map((n) => `CA${n.repeat(32)}`))),
      AccountSid: mostly(fc.constant(`AC${"a".repeat(32)}`)),
      From: mostly(fc.constantFrom("+48601234567", "+6281234567890", "anonymous", "+266696687")),
      To: mostly(fc.constant("+48221234567")),
      CallStatus: mostly(
        fc.constantFrom(
          "queued",
          "ringing",
          "in-progress",
          "completed",
          "busy",
          "failed",
          "no-answer",
          "canceled",
        ),
      ),
      Direction: mostly(fc.constantFrom("inbound", "outbound-dial", "outbound-api")),
      CallDuration: mostly(fc.nat({ max: 99_999 }).map(String)),
      Timestamp: mostly(fc.constant("Mon, 07 Dec 2026 10:00:05 +0000")),
    },
    { requiredKeys: ["CallSid", "AccountSid", "From", "To", "CallStatus"] },
  )
  .chain((known) =>
    fc
      // each name once, as Twilio sends them (its SDK signs a repeated name's values deduplicated and sorted)
      .uniqueArray(fc.tuple(text, text), { maxLength: 4, selector: ([name]) => readBack(name) })
      .map(
        (extra) =>
          [...Object.entries(known), ...extra.filter(([name]) => !Object.hasOwn(known, readBack(name)))] as [
            string,
            string,
          ][],
      ),
  );

it("answers every generated Twilio form below 500, never stores an unsigned one, and a refusal writes nothing", async () => {
  await checkProperty(
    summary,
    "POST /webhooks/twilio/voice",
    fc.record({
      params: twilioForm,
      path: fc.constantFrom(
        "/webhooks/twilio/voice",
        "/webhooks/twilio/voice/status",
        "/webhooks/twilio/voice?agent=x",
      ),
      signing: fc.constantFrom("signed", "signed", "signed", "signed", "unsigned", "wrong"),
    }),
    async ({ params, path, signing }) => {
      const body = Buffer.from(new URLSearchParams(params).toString());
      // what the server reads back: URLSearchParams turns lone surrogates into U+FFFD on the way
      const received = [...new URLSearchParams(body.toString())];
      const signature =
        signing === "signed"
          ? twilioSignature(PUBLIC_URL + path, received)
          : signing === "wrong"
            ? twilioSignature(`${PUBLIC_URL}/elsewhere`, received)
            : undefined;
      const response = await sendChecked(fuzz.db, fuzz.app.url!, {
        method: "POST",
        path,
        headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature },
        body,
      });
      summary.count("POST /webhooks/twilio/voice", response.status);
      if (signing !== "signed" && response.status < 300)
        throw new Error(`an ${signing} form was accepted with ${response.status}`);
      if (signing === "signed" && response.status === 403)
        throw new Error(`a signed form was refused: ${response.body.toString().slice(0, 200)}`);
      if (response.status === 400 && !namesField(response))
        throw new Error(`400 without the field: ${response.body.toString().slice(0, 200)}`);
    },
    100,
  );
});
