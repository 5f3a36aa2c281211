import { readFileSync } from "node:fs";
import { afterAll, it } from "vitest";
import { hmacSha256 } from "../../lib/signature.ts";
import { assertAlive, clientIp, namesField, sendChecked, useFuzzApp } from "./support/app.ts";
import { type GeneratedRequest, parsesAsJson, requestsFor } from "./support/requests.ts";
import { checkProperty, useFuzzSummary } from "./support/run.ts";

const SHOPIFY_SECRET = "shpss_fuzz_0123456789abcdef";
const WOO_SECRET = "woo-fuzz-secret-0123456789";
const sample = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/shop/${name}`, import.meta.url), "utf8")) as unknown;

const fuzz = useFuzzApp(() => ({
  SHOPIFY_WEBHOOK_SECRET: SHOPIFY_SECRET,
  WOOCOMMERCE_WEBHOOK_SECRET: WOO_SECRET,
}));
const summary = useFuzzSummary("shop-webhooks");

afterAll(async () => {
  await assertAlive(fuzz.app.url!);
});

const platforms = [
  {
    path: "/webhooks/shopify",
    secret: SHOPIFY_SECRET,
    sample: sample("shopify-order.json"),
    headers: (signature: string | undefined) => ({
      "x-shopify-hmac-sha256": signature,
      "x-shopify-topic": "orders/create",
    }),
  },
  {
    path: "/webhooks/woocommerce",
    secret: WOO_SECRET,
    sample: sample("woocommerce-order.json"),
    headers: (signature: string | undefined) => ({
      "x-wc-webhook-signature": signature,
      "x-wc-webhook-topic": "order.created",
    }),
  },
];

it.each(platforms)(
  "answers every generated order to $path with 2xx or a 4xx naming the field, and a refusal writes nothing",
  async (platform) => {
    await checkProperty(
      summary,
      `POST ${platform.path}`,
      requestsFor(platform.sample),
      async (request: GeneratedRequest) => {
        const signature =
          request.signing === "signed"
            ? hmacSha256(platform.secret, request.body, "base64")
            : request.signing === "wrong"
              ? hmacSha256("not-the-secret", request.body, "base64")
              : undefined;
        const response = await sendChecked(
          fuzz.db,
          fuzz.app.url!,
          {
            method: "POST",
            path: platform.path,
            headers: {
              "content-type": request.contentType,
              "x-forwarded-for": clientIp(request.client),
              ...platform.headers(signature),
            },
            body: request.body,
          },
          // an authenticated body the shop sent is kept even when it is not an order (bots/shop/webhooks.ts)
          { keeps: request.signing === "signed" ? ["InboundFailure"] : [] },
        );
        summary.count(`POST ${platform.path}`, response.status);
        if (response.status === 422 && parsesAsJson(request.body) && !namesField(response))
          throw new Error(`422 without the field: ${response.body.toString().slice(0, 200)}`);
      },
      80,
    );
  },
);
