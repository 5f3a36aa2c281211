import fc from "fast-check";
import { afterAll, beforeAll, it } from "vitest";
import { envFor, type FakeTwilioSms, startFakeTwilioSms, twilioSignature } from "../fakes/index.ts";
import { assertAlive, rowCounts, sendChecked, useFuzzApp } from "./support/app.ts";
import { checkProperty, useFuzzSummary } from "./support/run.ts";

const PUBLIC_URL = "https://crm.example.com";
let twilio: FakeTwilioSms;
beforeAll(async () => {
  twilio = await startFakeTwilioSms();
});
const fuzz = useFuzzApp(() => ({ ...envFor({ sms: twilio }), PUBLIC_URL }));
const summary = useFuzzSummary("sms-webhook");
afterAll(async () => {
  await assertAlive(fuzz.app.url!);
  await twilio?.close();
});

const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: "binary", maxLength: 40 }));
/** A text as the server reads it back: lone surrogates become U+FFFD in UTF-8. */
const readBack = (value: string) => Buffer.from(value).toString();
/** Mostly right, sometimes anything. */
const mostly = <T>(right: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 6, arbitrary: right }, { weight: 1, arbitrary: text });

/** Twilio's SMS and status fields, each mostly right, sometimes anything or missing; plus fields of no meaning. */
const smsForm = fc
  .record(
    {
      MessageSid: mostly(
        fc.constantFrom(...["1", "2", "3"].map((n) => `SM${n.repeat(32)}`), `MM${"4".repeat(32)}`),
      ),
      AccountSid: mostly(fc.constant("ACCOUNT")),
      From: mostly(fc.constantFrom("+16285550001", "+6281234567890", "12345", "ShopName")),
      To: mostly(fc.constant("+14155550100")),
      Body: mostly(fc.constantFrom("hi", "STOP", "start", "HELP", "Where is my order?", "")),
      NumMedia: mostly(fc.constantFrom("0", "1", "2", "99")),
      MediaUrl0: mostly(fc.constant("https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM/Media/ME")),
      MediaContentType0: mostly(fc.constant("image/jpeg")),
      OptOutType: mostly(fc.constantFrom("STOP", "START", "HELP")),
      MessageStatus: mostly(fc.constantFrom("queued", "sent", "delivered", "undelivered", "failed")),
      ErrorCode: mostly(fc.constantFrom("30003", "21610", "")),
    },
    { requiredKeys: ["MessageSid", "AccountSid", "From", "To"] },
  )
  .chain((known) =>
    fc
      .uniqueArray(fc.tuple(text, text), { maxLength: 4, selector: ([name]) => readBack(name) })
      .map((extra) =>
        [...Object.entries(known), ...extra.filter(([name]) => !Object.hasOwn(known, readBack(name)))].map(
          ([name, value]) => [name, value === "ACCOUNT" ? twilio.accountSid : value] as [string, string],
        ),
      ),
  );

it("answers every generated Twilio SMS form below 500, 401 unless signed, and a refusal writes nothing", async () => {
  await checkProperty(
    summary,
    "POST /webhooks/twilio/sms",
    fc.record({
      params: smsForm,
      path: fc.constantFrom("/webhooks/twilio/sms", "/webhooks/twilio/sms/status"),
      signing: fc.constantFrom("signed", "signed", "signed", "signed", "unsigned", "wrong"),
      contentType: fc.constantFrom(
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded",
        "application/json",
        "text/plain",
      ),
    }),
    async ({ params, path, signing, contentType }) => {
      const body = Buffer.from(new URLSearchParams(params).toString());
      const received = Object.fromEntries(new URLSearchParams(body.toString()));
      const signature =
        signing === "signed"
          ? twilioSignature(twilio.authToken, PUBLIC_URL + path, received)
          : signing === "wrong"
            ? twilioSignature(twilio.authToken, `${PUBLIC_URL}/elsewhere`, received)
            : undefined;
      const before = await rowCounts(fuzz.db);
      const response = await sendChecked(fuzz.db, fuzz.app.url!, {
        method: "POST",
        path,
        headers: { "content-type": contentType, "x-twilio-signature": signature },
        body,
      });
      summary.count(`POST ${path}`, response.status);
      if (signing !== "signed" && response.status !== 401)
        throw new Error(`an ${signing} form got ${response.status}`);
      if (signing === "signed" && response.status >= 300)
        throw new Error(`a signed form got ${response.status}: ${response.body.toString().slice(0, 200)}`);
      if (signing !== "signed") {
        const after = await rowCounts(fuzz.db);
        if (JSON.stringify(after) !== JSON.stringify(before))
          throw new Error(`a refused form wrote rows: ${JSON.stringify({ before, after })}`);
      }
    },
    100,
  );
});
