import { mkdirSync, readFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseInboundEvent } from "../../bots/index.ts";
import type { OpenApiDocument } from "../../lib/openapi.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { launchBrowser, openPage } from "../support/browser.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";

const database = useTestDatabase();
const redis = useTestRedis();
/** Every route the whole app registered, as Fastify reports them. */
const registered: { method: string; url: string }[] = [];
let app: TestApp;
let doc: OpenApiDocument;

beforeAll(async () => {
  app = await startTestApp({
    databaseUrl: database.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    workers: false,
    // every optional route on: the Telegram webhook, the shops', Resend's
    env: {
      TELEGRAM_BOT_TOKEN: "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11",
      TELEGRAM_MODE: "webhook",
      SHOPIFY_WEBHOOK_SECRET: "shopify-secret",
      WOOCOMMERCE_WEBHOOK_SECRET: "woo-secret",
      RESEND_WEBHOOK_SECRET: "whsec_c2VjcmV0",
    },
    onRoute: (route) => {
      for (const method of [route.method].flat()) registered.push({ method, url: route.url });
    },
  });
  const response = await fetch(`${app.url}/api/openapi.json`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  doc = (await response.json()) as OpenApiDocument;
}, 60_000);
afterAll(async () => {
  await app?.close();
});

describe("GET /api/openapi.json", () => {
  it("describes every /api and /webhooks route the app registers, with its method", () => {
    const api = registered.filter(
      (r) => (r.url.startsWith("/api/") || r.url.startsWith("/webhooks/")) && r.method !== "HEAD",
    );
    // the routes of today, at least: a route added later joins this list through the same hook
    expect(api.map((r) => `${r.method} ${r.url}`)).toEqual(
      expect.arrayContaining([
        "GET /api/openapi.json",
        "GET /api/docs",
        "POST /api/events",
        "POST /api/loyalty/redeem",
        "GET /api/customers/lookup",
        "POST /webhooks/telegram",
        "POST /webhooks/resend",
        "POST /webhooks/shopify",
        "POST /webhooks/woocommerce",
      ]),
    );
    const missing = api.filter((r) => {
      const path = r.url.replace(/:(\w+)/g, "{$1}");
      return doc.paths[path]?.[r.method.toLowerCase()] === undefined;
    });
    // a route without `config: describeRoute({...})` (lib/openapi.ts says how) is named here
    expect(missing.map((r) => `${r.method} ${r.url}`)).toEqual([]);
  });

  it("is a valid OpenAPI 3.1 document whose references all resolve", async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    expect(() => validator.resolveRefs()).not.toThrow();
    expect(JSON.stringify(doc)).not.toContain("#/$defs");
  });

  it("names the version, the security of each route and the error answers", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    expect(doc.info).toMatchObject({ title: "Rapport API", version: pkg.version });
    expect(Object.keys(doc.components.securitySchemes)).toEqual(
      expect.arrayContaining([
        "apiToken",
        "rapportSignature",
        "shopifyHmac",
        "wooCommerceSignature",
        "telegramSecretToken",
        "svixSignature",
      ]),
    );
    const lookup = doc.paths["/api/customers/lookup"]!.get!;
    expect(lookup.security).toEqual([{ apiToken: ["customers:read"] }]);
    expect(Object.keys(lookup.responses)).toEqual(["200", "400", "401", "403", "404", "409"]);
    expect((lookup.parameters as { name: string; in: string }[]).map((p) => `${p.in}:${p.name}`)).toEqual(
      expect.arrayContaining(["query:email", "query:phone", "query:handle", "query:id", "query:externalId"]),
    );
    const events = doc.paths["/api/events"]!.post!;
    expect(events.security).toEqual([{ rapportSignature: [] }]);
    expect(Object.keys(events.responses)).toEqual(["200", "201", "400", "401", "415"]);
    expect(events.responses["400"]).toMatchObject({
      content: { "application/json": { schema: { $ref: "#/components/schemas/ApiError" } } },
    });
    expect(doc.paths["/webhooks/shopify"]!.post!.security).toEqual([{ shopifyHmac: [] }]);
    // the webhooks' bodies are the schemas their normalisers validate with, read after the signature verifies
    const bodyRef = (path: string) =>
      (doc.paths[path]!.post!.requestBody as { content: Record<string, { schema: unknown }> }).content[
        "application/json"
      ]!.schema;
    expect(bodyRef("/webhooks/shopify")).toEqual({ $ref: "#/components/schemas/ShopifyOrder" });
    expect(bodyRef("/webhooks/woocommerce")).toEqual({ $ref: "#/components/schemas/WooOrder" });
    expect(bodyRef("/webhooks/resend")).toEqual({ $ref: "#/components/schemas/ResendWebhookEnvelope" });
    expect(bodyRef("/api/loyalty/redeem")).toEqual({ $ref: "#/components/schemas/RedeemBody" });
    expect(doc.paths["/webhooks/woocommerce"]!.post!.security).toEqual([{ wooCommerceSignature: [] }]);
    expect(doc.paths["/webhooks/telegram"]!.post!.security).toEqual([{ telegramSecretToken: [] }]);
    expect(doc.paths["/webhooks/resend"]!.post!.security).toEqual([{ svixSignature: [] }]);
    // Twilio's routes refuse a bad signature with 403, and the document says that, not 401
    const twilio = doc.paths["/webhooks/twilio/voice"]!.post!;
    expect(Object.keys(twilio.responses)).toContain("403");
    expect(Object.keys(twilio.responses)).not.toContain("401");
    expect(doc.paths["/api/openapi.json"]!.get!.security).toEqual([]);
  });

  it("accepts README's example purchases by the body schema it publishes, and refuses a broken one", () => {
    const readme = readFileSync("README.md", "utf8");
    const section = readme.slice(readme.indexOf("## Sending events: `POST /api/events`"));
    const block = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
    const curlBody = /^body='(.*)'$/m.exec(section)?.[1];
    expect(block).toBeDefined();
    expect(curlBody).toBeDefined();
    const examples = [JSON.parse(block!), JSON.parse(curlBody!)] as Record<string, unknown>[];
    expect(examples).toHaveLength(2);

    const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
    const body = doc.paths["/api/events"]!.post!.requestBody as {
      content: { "application/json": { schema: unknown } };
    };
    const validate = ajv.compile({
      $id: "https://rapport.invalid/openapi.json",
      components: doc.components,
      ...(body.content["application/json"].schema as object),
    });
    for (const example of examples) {
      expect(example.type).toBe("purchase");
      expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
      // and the handler's own schema agrees
      expect(parseInboundEvent(example).success).toBe(true);
    }
    const { customer: _customer, ...noCustomer } = examples[0]!;
    expect(validate(noCustomer)).toBe(false);
    expect(validate({ ...examples[0], total: "1,5" })).toBe(false);
  });
});

describe("GET /api/docs", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
    mkdirSync("test/artifacts", { recursive: true });
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
  });

  it("renders every operation in Chromium with nothing loaded from elsewhere", async () => {
    const { page, errors } = await openPage(browser, 1280, 900);
    const requests: string[] = [];
    page.on("request", (request) => requests.push(request.url()));
    const response = await page.goto(`${app.url}/api/docs`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()["content-security-policy"]).toContain("default-src 'none'");
    const operations = Object.values(doc.paths).flatMap((methods) => Object.keys(methods));
    expect(operations.length).toBeGreaterThanOrEqual(9);
    await expect(page.locator("section.op").count()).resolves.toBe(operations.length);
    await expect(page.locator("h1").textContent()).resolves.toContain("API reference");
    await expect(page.locator("#postApiEvents").textContent()).resolves.toContain("customer.email");
    // the body schema as the handler picks it: a purchase by its type, any other type as a generic event
    await expect(page.locator("#postApiEvents").textContent()).resolves.toContain(
      'type: "purchase" → PurchaseEvent',
    );
    await expect(page.locator("nav li").count()).resolves.toBe(operations.length);
    await expect(page.locator("#getApiCustomersLookup").textContent()).resolves.toContain("customers:read");
    // the stylesheet applied (allowed by its hash): the method badge has its colour
    await expect(
      page.locator("#postApiEvents .method").evaluate((el) => getComputedStyle(el).backgroundColor),
    ).resolves.toBe("rgb(4, 120, 87)");
    await page.screenshot({ path: "test/artifacts/openapi-docs-1280.png", fullPage: false });
    await page.locator("#postApiEvents").screenshot({ path: "test/artifacts/openapi-docs-events.png" });
    expect(errors).toEqual([]);
    expect(requests.every((url) => url.startsWith(app.url!))).toBe(true);
  });

  it("speaks the reader's language", async () => {
    const pl = await fetch(`${app.url}/api/docs`, { headers: { "accept-language": "pl-PL,pl;q=0.9" } });
    const html = await pl.text();
    expect(html).toContain('<html lang="pl">');
    expect(html).toContain("Treść żądania");
    const id = await (await fetch(`${app.url}/api/docs?lang=id`)).text();
    expect(id).toContain("Isi permintaan");
  });
});
