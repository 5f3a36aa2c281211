import { afterAll, it } from "vitest";
import { signBody } from "../../lib/signature.ts";
import { TEST_WEBHOOK_SECRET } from "../support/app.ts";
import { assertAlive, clientIp, namesField, sendChecked, useFuzzApp } from "./support/app.ts";
import { parsesAsJson, requestsFor } from "./support/requests.ts";
import { checkProperty, useFuzzSummary } from "./support/run.ts";

const fuzz = useFuzzApp();
const summary = useFuzzSummary("events-api");

/** The README's example purchase. */
const PURCHASE = {
  type: "purchase",
  orderId: "1001",
  occurredAt: "2026-11-23T10:15:00+07:00",
  customer: {
    email: "siti@example.com",
    name: "Siti Rahayu",
    locale: "id",
    timezone: "Asia/Jakarta",
    country: "ID",
  },
  total: "445000",
  currency: "IDR",
  items: [{ sku: "BTK-12", name: "Kemeja batik", quantity: 1, price: 275000 }],
};
/** Another event type, as the README lists its fields. */
const RATING = {
  type: "rating",
  id: "rating-77",
  occurredAt: "2026-11-24T08:00:00Z",
  customer: { email: "anna@example.com", locale: "pl-PL", phone: "+48601234567" },
  value: 4.5,
  properties: { comment: "Szybka dostawa", stars: 5, tags: ["fast"] },
};

afterAll(async () => {
  await assertAlive(fuzz.app.url!);
});

it("answers every generated body 2xx or a 4xx naming the field, never 5xx, and a refusal writes nothing", async () => {
  await checkProperty(
    summary,
    "POST /api/events",
    requestsFor(PURCHASE, RATING),
    async (request) => {
      const signature =
        request.signing === "signed"
          ? signBody(TEST_WEBHOOK_SECRET, request.body)
          : request.signing === "wrong"
            ? signBody("another-secret-0123456789", request.body)
            : undefined;
      const response = await sendChecked(fuzz.db, fuzz.app.url!, {
        method: "POST",
        path: "/api/events",
        headers: {
          "content-type": request.contentType,
          "x-rapport-signature": signature,
          "x-forwarded-for": clientIp(request.client),
        },
        body: request.body,
      });
      summary.count("POST /api/events", response.status);
      if (request.signing !== "signed" && response.status < 300)
        throw new Error(`an ${request.signing} request was accepted with ${response.status}`);
      const asJson = request.contentType?.toLowerCase().startsWith("application/json");
      if (response.status === 400 && asJson && request.signing === "signed" && parsesAsJson(request.body)) {
        if (!namesField(response))
          throw new Error(`400 without the field: ${response.body.toString().slice(0, 200)}`);
      }
    },
    100,
  );
});
