import { afterAll, beforeAll, it } from "vitest";
import { envFor, type FakeWhatsApp, hubSignature, startFakeWhatsApp } from "../fakes/index.ts";
import { assertAlive, clientIp, rowCounts, sendChecked, useFuzzApp } from "./support/app.ts";
import { type GeneratedRequest, requestsFor } from "./support/requests.ts";
import { checkProperty, useFuzzSummary } from "./support/run.ts";

let whatsapp: FakeWhatsApp;
beforeAll(async () => {
  whatsapp = await startFakeWhatsApp({ now: () => 1_790_000_000_000 });
});
const fuzz = useFuzzApp(() => envFor({ whatsapp }));
const summary = useFuzzSummary("whatsapp-webhook");
afterAll(async () => {
  await assertAlive(fuzz.app.url!);
  await whatsapp?.close();
});

/** Notifications as Meta sends them: a text, an interactive reply, a location, a status. */
const samples = () => [
  whatsapp.messagesNotification({ waId: "6281200000001", name: "Sari" }, [
    { type: "text", text: { body: "Halo, pesanan saya?" } },
  ]),
  whatsapp.messagesNotification({ waId: "6281200000002" }, [
    {
      type: "interactive",
      interactive: { type: "button_reply", button_reply: { id: "rate:5", title: "5" } },
    },
  ]),
  whatsapp.messagesNotification({ waId: "6281200000003" }, [
    { type: "location", location: { latitude: -6.2, longitude: 106.8, name: "Toko" } },
  ]),
  whatsapp.statusesNotification([
    { id: "wamid.unknown", status: "delivered", recipient_id: "6281200000004" },
  ]),
];

/** Whether the body is a notification at all (bots/whatsapp/webhook.ts): anything else is answered 200 and skipped. */
function isNotification(body: Buffer): boolean {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { object?: unknown } | null;
    return parsed?.object === "whatsapp_business_account";
  } catch {
    return false;
  }
}

it("answers every generated notification 200 or 4xx, never 5xx; a refused or skipped body writes nothing", async () => {
  await checkProperty(
    summary,
    "POST /webhooks/whatsapp",
    requestsFor(...samples()),
    async (request: GeneratedRequest) => {
      const before = await rowCounts(fuzz.db);
      const response = await sendChecked(fuzz.db, fuzz.app.url!, {
        method: "POST",
        path: "/webhooks/whatsapp",
        headers: {
          "content-type": request.contentType,
          "x-forwarded-for": clientIp(request.client),
          "x-hub-signature-256":
            request.signing === "signed"
              ? hubSignature(whatsapp.appSecret, request.body)
              : request.signing === "wrong"
                ? hubSignature(`${whatsapp.appSecret}x`, request.body)
                : undefined,
        },
        body: request.body,
      });
      summary.count("POST /webhooks/whatsapp", response.status);
      if (request.signing !== "signed" && response.status !== 401)
        throw new Error(`a request without the right signature got ${response.status}`);
      if (request.signing !== "signed" || (response.status === 200 && !isNotification(request.body))) {
        const after = await rowCounts(fuzz.db);
        if (JSON.stringify(after) !== JSON.stringify(before))
          throw new Error(`a refused or skipped body wrote rows: ${JSON.stringify({ before, after })}`);
      }
    },
    80,
  );
});
