import { createHmac } from "node:crypto";
import { afterAll, beforeAll, it } from "vitest";
import {
  envFor,
  type FakeResend,
  newWebhookSecret,
  receivedWebhookData,
  startFakeResend,
} from "../fakes/index.ts";
import { assertAlive, clientIp, namesField, sendChecked, useFuzzApp } from "./support/app.ts";
import { type GeneratedRequest, parsesAsJson, requestsFor } from "./support/requests.ts";
import { checkProperty, useFuzzSummary } from "./support/run.ts";

const SECRET = newWebhookSecret();
let resend: FakeResend;
beforeAll(async () => {
  resend = await startFakeResend({ rateLimit: Number.POSITIVE_INFINITY });
});
const fuzz = useFuzzApp(() => ({
  ...envFor({ resend }),
  RESEND_WEBHOOK_SECRET: SECRET,
  EMAIL_FROM: "Rapport Shop <hello@shop.test>",
  EMAIL_REPLY_TO: "reply@in.shop.test",
}));
const summary = useFuzzSummary("resend-webhook");
afterAll(async () => {
  await assertAlive(fuzz.app.url!);
  await resend?.close();
});

/** Svix's signature over the exact bytes (the fake's helper takes text, and some generated bodies are not UTF-8). */
function signBytes(secret: string, id: string, timestamp: number, body: Buffer): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const content = Buffer.concat([Buffer.from(`${id}.${timestamp}.`), body]);
  return `v1,${createHmac("sha256", key).update(content).digest("base64")}`;
}

/** Resend's events as it posts them (resend.com/docs/webhooks): delivery outcomes and a received email. */
function samples() {
  const created_at = new Date().toISOString();
  const facts = {
    created_at,
    from: "Rapport Shop <hello@shop.test>",
    to: ["siti@example.com"],
    subject: "Terima kasih",
    email_id: "4ef9a417-02e9-4d39-ad75-9611e0fcc33c",
  };
  const received = resend.receive({
    from: "Siti Rahayu <siti@example.com>",
    to: ["reply@in.shop.test"],
    subject: "Re: Terima kasih",
    text: "Kapan dikirim?",
  });
  return [
    { type: "email.delivered", created_at, data: facts },
    {
      type: "email.bounced",
      created_at,
      data: {
        ...facts,
        bounce: { type: "Permanent", subType: "General", message: "mailbox does not exist" },
      },
    },
    { type: "email.complained", created_at, data: facts },
    {
      type: "email.clicked",
      created_at,
      data: {
        ...facts,
        click: {
          ipAddress: "203.0.113.9",
          link: "https://shop.test/p/1",
          timestamp: created_at,
          userAgent: "Mozilla",
        },
      },
    },
    { type: "email.received", created_at, data: receivedWebhookData(received) },
  ];
}

it("answers every generated event 2xx or a 4xx naming the field, never 5xx, and a refusal writes nothing", async () => {
  let n = 0;
  await checkProperty(
    summary,
    "POST /webhooks/resend",
    requestsFor(...samples()),
    async (request: GeneratedRequest) => {
      const id = `msg_fuzz_${n++}`;
      const timestamp = Math.floor(Date.now() / 1_000);
      const signature =
        request.signing === "unsigned"
          ? undefined
          : signBytes(
              request.signing === "signed" ? SECRET : newWebhookSecret(),
              id,
              timestamp,
              request.body,
            );
      const response = await sendChecked(fuzz.db, fuzz.app.url!, {
        method: "POST",
        path: "/webhooks/resend",
        headers: {
          "content-type": request.contentType,
          "x-forwarded-for": clientIp(request.client),
          "svix-id": id,
          "svix-timestamp": String(timestamp),
          "svix-signature": signature,
        },
        body: request.body,
      });
      summary.count("POST /webhooks/resend", response.status);
      if (request.signing !== "signed" && response.status !== 401)
        throw new Error(`a request without a good signature got ${response.status}`);
      if (response.status === 400 && parsesAsJson(request.body) && !namesField(response))
        throw new Error(`400 without the field: ${response.body.toString().slice(0, 200)}`);
    },
    80,
  );
});
