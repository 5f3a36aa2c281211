import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { confirmToken } from "../../bots/index.ts";
import { envFor, type FakeResend, type StoredEmail, startFakeResend } from "../fakes/index.ts";
import { newWebhookSecret } from "../fakes/resend-webhooks.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";

// Double opt-in by email through the whole app: the events API asks for it, the confirm email goes out the
// transactional way (Resend, here the fake), the link's page grants consent only on POST, and a marketing
// campaign then reaches the customer under the default opt-in policy; a complaint withdraws it again.
const database = useTestDatabase();
const redis = useTestRedis();
const LINK_SECRET = "double-opt-in-link-secret-0123456789";
const WEBHOOK_SECRET = newWebhookSecret();
let resend: FakeResend;
let app: TestApp;
let campaignsDir: string;

beforeAll(async () => {
  campaignsDir = mkdtempSync(path.join(tmpdir(), "rapport-doi-"));
  // a marketing email on every "visit" event: it needs granted email consent (campaigns/consent.yaml: opt-in)
  writeFileSync(
    path.join(campaignsDir, "visit-offer.yaml"),
    `id: visit-offer
name: Offer after a visit
kind: marketing
trigger:
  event: { type: visit, delay: 0s }
channels: [email]
message:
  template: promo
  data:
    headline: "Welcome back"
    body: "Fresh beans this week."
    discount: 10
    code: HELLO10
    endsAt: "2027-01-31T16:59:59Z"
limits: { once_per_customer: false }
`,
  );
  resend = await startFakeResend({ rateLimit: 50 });
  app = await startTestApp({
    databaseUrl: database.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    env: {
      ...envFor({ resend }),
      RESEND_WEBHOOK_SECRET: WEBHOOK_SECRET,
      EMAIL_FROM: "Kopi Kita <halo@example.com>",
      BRAND_NAME: "Kopi Kita",
      RAPPORT_LINK_SECRET: LINK_SECRET,
      RAPPORT_CAMPAIGNS_DIR: campaignsDir,
    },
  });
});
afterAll(async () => {
  await app?.close();
  await resend?.close();
  rmSync(campaignsDir, { recursive: true, force: true });
});

const confirmEmails = (address: string): StoredEmail[] =>
  resend.emails.filter((e) => e.to.includes(address) && e.text?.includes("/confirm/"));

/** The confirm link in an email, as a path on the app. */
function linkIn(email: StoredEmail): string {
  const url = /https?:\/\/\S+\/confirm\/[A-Za-z0-9_.-]+/.exec(email.text ?? "")?.[0];
  expect(url, "the confirm link in the text part").toBeDefined();
  return new URL(url!).pathname;
}

const open = (pathname: string, init?: RequestInit) => fetch(`${app.url}${pathname}`, init);
const press = (pathname: string) =>
  open(pathname, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "user-agent": "TestBrowser/1.0" },
    body: "",
  });

async function consentEvents(customerId: string) {
  return database.db.consentEvent.findMany({ where: { customerId }, orderBy: { createdAt: "asc" } });
}

describe("double opt-in by email", () => {
  const address = "ola.nowak@example.com";
  let customerId: string;
  let link: string;

  it("sends the signed confirm link in the customer's language when the events API asks for it", async () => {
    const response = await app.postEvent({
      type: "signup",
      id: "SIGNUP-1",
      customer: { email: address, name: "Ola", locale: "pl", consent: { email: { status: "requested" } } },
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { customerId: string; doubleOptIn: string };
    expect(body.doubleOptIn).toBe("sent");
    customerId = body.customerId;

    const email = await waitFor("the confirm email at Resend", () => confirmEmails(address)[0]);
    expect(email.subject).toBe("Potwierdź: nowości i oferty od Kopi Kita");
    expect(email.html).toContain("Potwierdzam subskrypcję");
    link = linkIn(email);
    expect(email.html).toContain(link);
    const delivery = await database.db.delivery.findFirstOrThrow({
      where: { customerId, template: "confirm-subscription" },
    });
    expect(delivery).toMatchObject({ kind: "transactional", recipient: address, locale: "pl" });
    // asked, not answered: pending in the history, and no answer on the customer
    expect((await consentEvents(customerId)).map((e) => [e.status, e.source])).toEqual([
      ["pending", "double_opt_in"],
    ]);
    const customer = await database.db.customer.findUniqueOrThrow({ where: { id: customerId } });
    expect(customer.consent).toMatchObject({ email: { status: "pending", via: "double_opt_in" } });
  });

  it("sends no marketing before the link is confirmed", async () => {
    expect((await app.postEvent({ type: "visit", id: "VISIT-1", customer: { email: address } })).status).toBe(
      201,
    );
    const skipped = await waitFor("the offer's Delivery to be decided", () =>
      database.db.delivery.findFirst({
        where: { campaignId: "visit-offer", customerId, status: { in: ["skipped", "suppressed", "sent"] } },
      }),
    );
    expect(skipped).toMatchObject({ status: "skipped", reason: "no_consent" });
  });

  it("shows a page on GET and changes nothing: mail scanners follow links", async () => {
    const page = await open(link, { headers: { "accept-language": "en" } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Tak, wysyłajcie mi oferty");
    expect(html).toContain('<form method="post">');
    expect(html).toContain(address);
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect((await consentEvents(customerId)).map((e) => e.status)).toEqual(["pending"]);
  });

  it("refuses a tampered or expired link with a 400 page and grants nothing", async () => {
    const token = link.slice("/confirm/".length);
    const flipped = token.slice(0, 10) + (token[10] === "A" ? "B" : "A") + token.slice(11);
    const tampered = await press(`/confirm/${flipped}`);
    expect(tampered.status).toBe(400);
    expect(await tampered.text()).toContain("This link doesn't work");

    const eightDaysAgo = new Date(Date.now() - 8 * 24 * 3_600_000);
    const old = confirmToken(LINK_SECRET, { customerId, channel: "email", address, sentAt: eightDaysAgo });
    const expired = await press(`/confirm/${old}`);
    expect(expired.status).toBe(400);
    expect(await expired.text()).toContain("has expired");
    const expiredPage = await open(`/confirm/${old}`, { headers: { "accept-language": "id" } });
    expect(expiredPage.status).toBe(400);
    expect(await expiredPage.text()).toContain("Tautan ini tidak berfungsi");

    // signed with another secret: as good as forged
    const forged = confirmToken("some-other-secret-0123456789", {
      customerId,
      channel: "email",
      address,
      sentAt: new Date(),
    });
    expect((await press(`/confirm/${forged}`)).status).toBe(400);
    expect((await consentEvents(customerId)).map((e) => e.status)).toEqual(["pending"]);
  });

  it("grants email consent on POST with the evidence, once however often it is pressed", async () => {
    const done = await press(link);
    expect(done.status).toBe(200);
    expect(await done.text()).toContain("Zapisano Cię");
    expect((await press(link)).status).toBe(200);

    const events = await consentEvents(customerId);
    expect(events.map((e) => [e.status, e.source])).toEqual([
      ["pending", "double_opt_in"],
      ["granted", "double_opt_in"],
    ]);
    const sentAt = (
      await database.db.delivery.findFirstOrThrow({
        where: { customerId, template: "confirm-subscription" },
      })
    ).scheduledAt;
    expect(events[1]!.evidence).toMatchObject({ userAgent: "TestBrowser/1.0", address });
    expect(typeof (events[1]!.evidence as { ip?: unknown }).ip).toBe("string");
    // the link carries when it was sent; the Delivery was written in the same request
    const linkSentAt = Date.parse((events[1]!.evidence as { sentAt: string }).sentAt);
    expect(Math.abs(linkSentAt - sentAt.getTime())).toBeLessThan(5_000);
    const customer = await database.db.customer.findUniqueOrThrow({ where: { id: customerId } });
    expect(customer.consent).toMatchObject({ email: { status: "granted", via: "double_opt_in" } });
  });

  it("then sends the marketing email to that customer", async () => {
    expect((await app.postEvent({ type: "visit", id: "VISIT-2", customer: { email: address } })).status).toBe(
      201,
    );
    const sent = await waitFor("the offer sent", () =>
      database.db.delivery.findFirst({ where: { campaignId: "visit-offer", customerId, status: "sent" } }),
    );
    const email = resend.emails.find((e) => e.id === sent.providerId);
    expect(email?.to).toEqual([address]);
    expect(email?.html).toContain("HELLO10");
  });

  it("withdraws the consent when the customer complains, as a ConsentEvent", async () => {
    const sent = await database.db.delivery.findFirstOrThrow({
      where: { campaignId: "visit-offer", customerId, status: "sent" },
    });
    const call = await resend.sendWebhook(`${app.url}/webhooks/resend`, WEBHOOK_SECRET, {
      type: "email.complained",
      data: { email_id: sent.providerId! },
    });
    expect(call.status).toBe(200);
    const last = (await consentEvents(customerId)).at(-1);
    expect(last).toMatchObject({ status: "denied", source: "resend_complaint" });
    expect(last!.evidence).toMatchObject({ deliveryId: sent.id });
    const customer = await database.db.customer.findUniqueOrThrow({ where: { id: customerId } });
    expect(customer.consent).toMatchObject({ email: { status: "denied", via: "resend_complaint" } });
    expect(
      await database.db.suppression.findFirst({ where: { channel: "email", address, reason: "complained" } }),
    ).not.toBeNull();
  });

  it("records no consent answer for a hard bounce: it suppresses the address only", async () => {
    const bounced = "bounced.once@example.com";
    const response = await app.postEvent({
      type: "signup",
      id: "SIGNUP-2",
      customer: { email: bounced, consent: { email: { status: "granted" } } },
    });
    const { customerId: id } = (await response.json()) as { customerId: string };
    await resend.sendWebhook(`${app.url}/webhooks/resend`, WEBHOOK_SECRET, {
      type: "email.bounced",
      data: {
        email_id: "unknown-email-id",
        to: [bounced],
        bounce: { type: "Permanent", subType: "General", message: "mailbox does not exist" },
      },
    });
    expect(
      await database.db.suppression.findFirst({ where: { address: bounced, reason: "bounced" } }),
    ).not.toBeNull();
    expect((await consentEvents(id)).map((e) => e.status)).toEqual(["granted"]);
  });
});

describe("a link whose address is no longer the customer's", () => {
  it("grants nothing and says so with a 409 page", async () => {
    const response = await app.postEvent({
      type: "signup",
      id: "SIGNUP-MOVED",
      customer: { email: "moved.away@example.com", consent: { email: { status: "requested" } } },
    });
    const { customerId } = (await response.json()) as { customerId: string };
    const link = linkIn(await waitFor("the confirm email", () => confirmEmails("moved.away@example.com")[0]));
    // the shop changed the customer's address after the link went out (the old inbox may be someone else's now)
    await database.db.customer.update({ where: { id: customerId }, data: { email: "new.home@example.com" } });
    await database.db.identity.deleteMany({ where: { customerId, channel: "email" } });

    const page = await open(link);
    expect(page.status).toBe(409);
    const pressed = await press(link);
    expect(pressed.status).toBe(409);
    expect(await pressed.text()).toContain("no longer one we have for you");
    expect((await consentEvents(customerId)).map((e) => e.status)).toEqual(["pending"]);
  });
});

describe("the events API's double opt-in field", () => {
  it("refuses requested on a channel other than email, naming the field, and stores nothing", async () => {
    const response = await app.postEvent({
      type: "signup",
      id: "SIGNUP-BAD",
      customer: { email: "nobody@example.com", consent: { telegram: { status: "requested" } } },
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { issues: Array<{ path: string }> };
    expect(body.issues.map((i) => i.path)).toEqual(["customer.consent.telegram.status"]);
    expect(await database.db.customer.count({ where: { email: "nobody@example.com" } })).toBe(0);
  });

  it("sends no second link for the same event posted twice", async () => {
    const event = {
      type: "signup",
      id: "SIGNUP-TWICE",
      customer: { email: "twice@example.com", consent: { email: { status: "requested" } } },
    };
    expect((await app.postEvent(event)).status).toBe(201);
    const again = await app.postEvent(event);
    expect(again.status).toBe(200);
    expect(((await again.json()) as { doubleOptIn?: string }).doubleOptIn).toBeUndefined();
    await waitFor("the confirm email", () => confirmEmails("twice@example.com")[0]);
    expect(await database.db.delivery.count({ where: { recipient: "twice@example.com" } })).toBe(1);
  });
});
