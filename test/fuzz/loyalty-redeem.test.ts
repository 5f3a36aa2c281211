import { afterAll, beforeAll, it } from "vitest";
import { signBody } from "../../lib/signature.ts";
import { TEST_WEBHOOK_SECRET } from "../support/app.ts";
import { assertAlive, clientIp, namesField, sendChecked, useFuzzApp } from "./support/app.ts";
import { parsesAsJson, requestsFor } from "./support/requests.ts";
import { checkProperty, useFuzzSummary } from "./support/run.ts";

const fuzz = useFuzzApp();
const summary = useFuzzSummary("loyalty-redeem");

/** The README's example redeem, and one by customer id. */
const BY_EMAIL = { customer: { email: "siti@example.com" }, points: 20, ref: "ORDER-1042" };
let byId: unknown;

beforeAll(async () => {
  const siti = await fuzz.db.customer.create({ data: { email: "siti@example.com", loyaltyPoints: 100_000 } });
  await fuzz.db.loyaltyEntry.create({ data: { customerId: siti.id, points: 100_000, reason: "adjust" } });
  byId = { customer: { id: siti.id }, points: 5, ref: "ORDER-1043", note: "till 3" };
});
afterAll(async () => {
  await assertAlive(fuzz.app.url!);
});

it("answers every generated redeem 2xx or a 4xx naming the field, never 5xx, and a refusal writes nothing", async () => {
  await checkProperty(
    summary,
    "POST /api/loyalty/redeem",
    requestsFor(BY_EMAIL, byId),
    async (request) => {
      const signature =
        request.signing === "signed"
          ? signBody(TEST_WEBHOOK_SECRET, request.body)
          : request.signing === "wrong"
            ? signBody("another-secret-0123456789", request.body)
            : undefined;
      const before = await fuzz.db.loyaltyEntry.count();
      const response = await sendChecked(fuzz.db, fuzz.app.url!, {
        method: "POST",
        path: "/api/loyalty/redeem",
        headers: {
          "content-type": request.contentType,
          "x-rapport-signature": signature,
          "x-forwarded-for": clientIp(request.client),
        },
        body: request.body,
      });
      summary.count("POST /api/loyalty/redeem", response.status);
      if (request.signing !== "signed" && response.status < 300)
        throw new Error(`an ${request.signing} request was accepted with ${response.status}`);
      if (response.status >= 400 && (await fuzz.db.loyaltyEntry.count()) !== before)
        throw new Error(`refused with ${response.status} but wrote a ledger entry`);
      const asJson = request.contentType?.toLowerCase().startsWith("application/json");
      if (response.status === 400 && asJson && request.signing === "signed" && parsesAsJson(request.body)) {
        if (!namesField(response))
          throw new Error(`400 without the field: ${response.body.toString().slice(0, 200)}`);
      }
    },
    100,
  );
});
