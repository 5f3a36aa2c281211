import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStaffUser } from "../../console/index.ts";
import { systemClock } from "../../lib/clock.ts";
import { newWebhookSecret } from "../../workers/index.ts";
import { rapport } from "../cli/run.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";
import { receiver, verifyStandardWebhook } from "../support/webhook-receiver.ts";

// Issue 14's "done when", as a brand moving in would do it: a spreadsheet of customers imported with the
// CLI, found in the console and in a segment, the segment exported as CSV, a signed Twilio call popping a
// customer's panel, and a signed purchase.created at a local receiver.

const database = useTestDatabase();
const redis = useTestRedis();
const AUTH_TOKEN = "abcdefabcdefabcdefabcdefabcdef12";
const PUBLIC_URL = "https://crm.example.com";
const PASSWORD = "move in password 2026";
let app: TestApp;
let dir: string;
let local: Awaited<ReturnType<typeof receiver>>;

/** A sheet as a Polish shop's spreadsheet exports it: BOM, semicolons, Polish headers, national phone numbers. */
const SHEET = `\uFEFFNr klienta;Imię;Nazwisko;E-mail;Telefon;Miasto;Kraj
K-1001;Zofia;Wiśniewska;zofia.w@example.pl;601 234 567;Kraków;PL
K-1002;Tomasz;"Nowak; junior";tomasz@example.pl;+48 602 345 678;Gdańsk;PL
K-1003;Ewa;Zielińska;not-an-email;603 456 789;Poznań;PL
`;

/** Twilio's signature, from its documentation: the URL, then each parameter name and value sorted by name. */
function twilioSignature(url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((text, name) => text + name + params[name], url);
  return createHmac("sha1", AUTH_TOKEN).update(data, "utf8").digest("base64");
}

/** Signs in as a browser does: the login page's CSRF token and cookie, then the form. Returns the session cookie. */
async function signIn(email: string): Promise<string> {
  const page = await fetch(`${app.url}/console/login`, { headers: { accept: "text/html" } });
  const loginCookie = page.headers
    .getSetCookie()
    .find((c) => c.startsWith("rapport_login_csrf="))!
    .split(";")[0]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  const response = await fetch(`${app.url}/console/login`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      cookie: loginCookie,
      accept: "text/html",
    },
    body: new URLSearchParams({ email, password: PASSWORD, _csrf: csrf }).toString(),
  });
  const session = response.headers.getSetCookie().find((c) => c.startsWith("rapport_session="));
  if (!session) throw new Error(`sign-in failed: ${response.status}`);
  return session.split(";")[0]!;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "rapport-move-in-"));
  local = await receiver([]);
  app = await startTestApp({
    databaseUrl: database.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    env: { PUBLIC_URL, TWILIO_AUTH_TOKEN: AUTH_TOKEN },
  });
  await createStaffUser(
    { db: database.db, clock: systemClock },
    { email: "agent@example.pl", role: "admin", password: PASSWORD },
    { type: "system" },
  );
}, 60_000);
afterAll(async () => {
  await app?.close();
  await local?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("moving in", () => {
  it("imports a spreadsheet, finds the customers in the console and a segment, exports it, pops a caller and shares a purchase", async () => {
    const env = { DATABASE_URL: database.url };
    const sheet = path.join(dir, "klienci.csv");
    writeFileSync(sheet, SHEET);

    // 1. the import: two good rows load, the bad email goes to the rejects file with its line
    const imported = await rapport(["import", "customers", sheet, "--country", "PL"], dir, env);
    expect(imported.code, imported.stderr).toBe(3);
    const rejects = parse(readFileSync(`${sheet}.rejects.csv`, "utf8"), { columns: true }) as Array<
      Record<string, string>
    >;
    expect(rejects).toHaveLength(1);
    expect(rejects[0]).toMatchObject({ line: "4", value: "not-an-email" });
    const zofia = await database.db.customer.findUniqueOrThrow({ where: { externalId: "K-1001" } });
    expect(zofia).toMatchObject({
      email: "zofia.w@example.pl",
      phone: "+48601234567",
      country: "PL",
      address: { city: "Kraków", country: "PL" },
    });
    const tomasz = await database.db.customer.findUniqueOrThrow({ where: { email: "tomasz@example.pl" } });
    expect(tomasz.name).toBe("Tomasz Nowak; junior");
    // again: nothing changes
    const again = await rapport(["import", "customers", sheet, "--country", "PL"], dir, env);
    expect(again.code).toBe(3);
    expect(
      (await database.db.customer.findUniqueOrThrow({ where: { id: zofia.id } })).updatedAt.getTime(),
    ).toBe(zofia.updatedAt.getTime());

    // 2. the console finds her by name
    const cookie = await signIn("agent@example.pl");
    const search = await fetch(`${app.url}/console/customers?q=${encodeURIComponent("Zofia")}`, {
      headers: { cookie, accept: "text/html" },
    });
    expect(search.status).toBe(200);
    expect(await search.text()).toContain(`/console/customers/${zofia.id}`);

    // 3. the shipped segment "poland" holds the two, and exports as CSV
    const out = path.join(dir, "poland.csv");
    const exported = await rapport(["export", "segment", "poland", "--out", out], process.cwd(), env);
    expect(exported.code, exported.stderr).toBe(0);
    const members = parse(readFileSync(out, "utf8"), { columns: true }) as Array<Record<string, string>>;
    expect(members.map((m) => m.email).sort()).toEqual(["tomasz@example.pl", "zofia.w@example.pl"]);
    expect(members.find((m) => m.email === "zofia.w@example.pl")).toMatchObject({
      external_id: "K-1001",
      city: "Kraków",
      country: "PL",
    });

    // 4. a signed Twilio call from her number pops her panel
    const params = {
      AccountSid: `AC${"b".repeat(32)}`,
      CallSid: `CA${randomBytes(16).toString("hex")}`,
      CallStatus: "ringing",
      Direction: "inbound",
      From: "+48601234567",
      To: "+48221234567",
    };
    const call = await fetch(`${app.url}/webhooks/twilio/voice`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-twilio-signature": twilioSignature(`${PUBLIC_URL}/webhooks/twilio/voice`, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    expect(call.status).toBe(200);
    const interaction = await database.db.interaction.findFirstOrThrow({
      where: { channel: "phone", customerId: zofia.id },
    });
    const pop = await fetch(`${app.url}/console/calls/${interaction.id}/pop`, {
      headers: { cookie, accept: "text/html" },
    });
    expect(pop.status).toBe(200);
    expect(await pop.text()).toContain("Zofia Wiśniewska");
    // a wrongly signed call is refused and stores nothing
    const forged = await fetch(`${app.url}/webhooks/twilio/voice`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": "AAAA" },
      body: new URLSearchParams({ ...params, CallSid: `CA${"0".repeat(32)}` }).toString(),
    });
    expect(forged.status).toBe(403);
    expect(await database.db.interaction.count({ where: { channel: "phone" } })).toBe(1);

    // 5. her next order reaches the brand's ERP as a signed purchase.created
    const secret = newWebhookSecret();
    await database.db.webhookSubscription.create({
      data: {
        name: "erp",
        url: local.url,
        events: ["purchase.created"],
        fields: [],
        secret,
        createdBy: "test",
      },
    });
    const order = await app.postEvent({
      type: "purchase",
      orderId: "SHOP-77",
      customer: { externalId: "K-1001" },
      total: "129.00",
      currency: "PLN",
      items: [{ sku: "KUBEK", quantity: 2, price: "64.50" }],
    });
    expect(order.status).toBe(201);
    const [request] = await waitFor(
      "purchase.created at the ERP",
      () => (local.received.length > 0 ? local.received : undefined),
      20_000,
    );
    expect(
      verifyStandardWebhook(secret, request!.headers, request!.body, Math.floor(Date.now() / 1000)),
    ).toBe(true);
    expect(JSON.parse(request!.body).data).toMatchObject({
      orderId: "SHOP-77",
      customer: { id: zofia.id, email: "zofia.w@example.pl" },
    });
  }, 120_000);
});
