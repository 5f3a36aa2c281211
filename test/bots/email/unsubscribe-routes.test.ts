import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerUnsubscribe, unsubscribeToken } from "../../../bots/index.ts";
import type { SendingChannelName } from "../../../lib/channels.ts";
import { manualClock } from "../../../lib/clock.ts";
import { createHttpServer } from "../../../lib/http.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { useTestDatabase } from "../../support/db.ts";

const SECRET = "unsubscribe-secret-for-tests-0123456789";
const NOW = Date.UTC(2026, 2, 14, 9, 30);
const database = useTestDatabase();
const clock = manualClock(NOW);
const app = createHttpServer({ log: silentLogger });

beforeAll(async () => {
  await registerUnsubscribe(app, {
    db: database.db,
    secret: SECRET,
    clock,
    log: silentLogger,
    brandName: "Toko <Rapport> & Co",
  });
});
afterAll(async () => {
  await app.close();
});

async function customer(locale = "en", email: string | null = `${randomUUID()}@Example.com`) {
  return database.db.customer.create({ data: { locale, email } });
}

const linkFor = (customerId: string, channel: SendingChannelName = "email", deliveryId?: string) =>
  `/u/${unsubscribeToken(SECRET, { customerId, channel, deliveryId })}`;

const confirm = (url: string, headers: Record<string, string> = {}) =>
  app.inject({
    method: "POST",
    url,
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    payload: "",
  });

async function stateOf(customerId: string) {
  const db = database.db;
  const [row, suppressions, audits] = await Promise.all([
    db.customer.findUniqueOrThrow({ where: { id: customerId }, select: { consent: true } }),
    db.suppression.findMany({ where: { customerId }, orderBy: { address: "asc" } }),
    db.auditLog.findMany({ where: { targetId: customerId } }),
  ]);
  return { consent: row.consent, suppressions, audits };
}

describe("GET /u/:token", () => {
  it.each([
    [
      "en",
      "Stop getting news and offers from Toko &#60;Rapport&#62; &#38; Co via email?",
      "Unsubscribe</button>",
    ],
    [
      "id",
      "Berhenti menerima kabar dan promo dari Toko &#60;Rapport&#62; &#38; Co melalui email?",
      "Berhenti berlangganan</button>",
    ],
    [
      "pl",
      "Zrezygnować z nowości i ofert od Toko &#60;Rapport&#62; &#38; Co przez e-mail?",
      "Wypisz mnie</button>",
    ],
  ])(
    "asks a %s customer to confirm, in their language, and changes nothing",
    async (locale, question, button) => {
      const ada = await customer(locale);
      const response = await app.inject({ method: "GET", url: linkFor(ada.id) });
      expect(response.statusCode).toBe(200);
      expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(response.headers).toMatchObject({
        "cache-control": "no-store",
        "referrer-policy": "no-referrer",
      });
      expect(response.body).toContain(`<html lang="${locale}">`);
      expect(response.body).toContain(`<h1>${question}</h1>`);
      expect(response.body).toContain(`<form method="post"><button type="submit">${button}</form>`);
      expect(response.body).not.toContain("<Rapport>");
      expect(await stateOf(ada.id)).toEqual({ consent: {}, suppressions: [], audits: [] });
    },
  );

  it("says a broken link is broken, in the browser's language, with 400", async () => {
    const ada = await customer();
    const forged = linkFor(ada.id).slice(0, -2) + "AA";
    const response = await app.inject({
      method: "GET",
      url: forged,
      headers: { "accept-language": "de-DE, pl;q=0.8, en;q=0.5" },
    });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('<html lang="pl">');
    expect(response.body).toContain("<h1>Ten link nie działa</h1>");
    expect(response.body).not.toContain("<form");
  });

  it("shows the done page to a customer who already opted out", async () => {
    const ada = await customer("id");
    await confirm(linkFor(ada.id));
    const response = await app.inject({ method: "GET", url: linkFor(ada.id) });
    expect(response.body).toContain("<h1>Anda sudah berhenti berlangganan</h1>");
    expect(response.body).not.toContain("<form");
  });
});

describe("POST /u/:token", () => {
  it.each([
    [
      "en",
      "You are unsubscribed",
      "You won't get news or offers from Toko &#60;Rapport&#62; &#38; Co via email any more.",
    ],
    [
      "id",
      "Anda sudah berhenti berlangganan",
      "Anda tidak akan lagi menerima kabar atau promo dari Toko &#60;Rapport&#62; &#38; Co melalui email.",
    ],
    [
      "pl",
      "Wypisano Cię",
      "Nie będziesz już dostawać nowości ani ofert od Toko &#60;Rapport&#62; &#38; Co przez e-mail.",
    ],
  ])(
    "unsubscribes a %s customer: suppression, consent and audit row, and says so in their language",
    async (locale, title, body) => {
      const ada = await customer(locale);
      const response = await confirm(linkFor(ada.id));
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain(`<html lang="${locale}">`);
      expect(response.body).toContain(`<h1>${title}</h1>`);
      expect(response.body).toContain(`<p>${body}</p>`);
      const state = await stateOf(ada.id);
      expect(state.consent).toEqual({
        email: { status: "denied", at: new Date(NOW).toISOString(), via: "unsubscribe_link" },
      });
      expect(state.suppressions).toMatchObject([
        {
          channel: "email",
          address: ada.email?.toLowerCase(),
          reason: "unsubscribed",
          source: "link",
          customerId: ada.id,
        },
      ]);
      expect(state.audits).toMatchObject([
        {
          actorType: "customer",
          action: "unsubscribe",
          targetType: "Customer",
          targetId: ada.id,
          data: { channel: "email", deliveryId: null, via: "unsubscribe_link" },
        },
      ]);
    },
  );

  it("takes a mail client's RFC 8058 one-click POST, form-encoded", async () => {
    const ada = await customer();
    const response = await app.inject({
      method: "POST",
      url: linkFor(ada.id),
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: "List-Unsubscribe=One-Click",
    });
    expect(response.statusCode).toBe(200);
    expect((await stateOf(ada.id)).suppressions).toHaveLength(1);
  });

  it("takes a one-click POST sent as multipart/form-data, as RFC 8058 prefers", async () => {
    const ada = await customer();
    const form = new FormData();
    form.set("List-Unsubscribe", "One-Click");
    const request = new Request("http://localhost/", { method: "POST", body: form });
    const response = await app.inject({
      method: "POST",
      url: linkFor(ada.id),
      headers: { "content-type": request.headers.get("content-type") ?? "" },
      payload: Buffer.from(await request.arrayBuffer()),
    });
    expect(response.statusCode).toBe(200);
    expect((await stateOf(ada.id)).consent).toMatchObject({ email: { status: "denied" } });
  });

  it("is harmless twice: same rows, one audit row, the first time kept", async () => {
    const ada = await customer("pl");
    await confirm(linkFor(ada.id));
    const before = await stateOf(ada.id);
    clock.advance(60_000);
    const again = await confirm(linkFor(ada.id));
    expect(again.statusCode).toBe(200);
    expect(again.body).toContain("<h1>Wypisano Cię</h1>");
    expect(await stateOf(ada.id)).toEqual(before);
  });

  it("also suppresses the address the message went to when the customer's address changed since", async () => {
    const ada = await customer("en", "ada.new@example.com");
    const delivery = await database.db.delivery.create({
      data: {
        key: `d/test/${randomUUID()}`,
        customerId: ada.id,
        channel: "email",
        recipient: "Ada.Old@Example.com",
      },
    });
    await confirm(linkFor(ada.id, "email", delivery.id));
    const state = await stateOf(ada.id);
    expect(state.suppressions.map((s) => s.address)).toEqual(["ada.new@example.com", "ada.old@example.com"]);
    expect(state.audits[0]?.data).toMatchObject({ deliveryId: delivery.id });
  });

  it("on a chat channel, suppresses the customer's ids there and leaves email alone", async () => {
    const ada = await customer("id");
    await database.db.identity.create({
      data: { channel: "telegram", externalId: "555001", customerId: ada.id },
    });
    const response = await confirm(linkFor(ada.id, "telegram"));
    expect(response.body).toContain(
      "Anda tidak akan lagi menerima kabar atau promo dari Toko &#60;Rapport&#62; &#38; Co melalui Telegram.",
    );
    const state = await stateOf(ada.id);
    expect(state.suppressions).toMatchObject([
      { channel: "telegram", address: "555001", reason: "unsubscribed" },
    ]);
    expect(state.consent).toEqual({
      telegram: { status: "denied", at: expect.any(String), via: "unsubscribe_link" },
    });
  });

  it("keeps a stronger suppression (a bounce) as it was", async () => {
    const ada = await customer();
    const address = ada.email?.toLowerCase() ?? "";
    await database.db.suppression.create({
      data: { channel: "email", address, customerId: ada.id, reason: "bounced", source: "resend" },
    });
    await confirm(linkFor(ada.id));
    expect((await stateOf(ada.id)).suppressions).toMatchObject([
      { address, reason: "bounced", source: "resend" },
    ]);
  });

  it("unsubscribes the surviving customer when the link's customer was merged into another", async () => {
    const survivor = await customer("pl");
    const merged = await database.db.customer.create({ data: { locale: "en", mergedIntoId: survivor.id } });
    const response = await confirm(linkFor(merged.id));
    expect(response.body).toContain('<html lang="pl">');
    expect((await stateOf(survivor.id)).suppressions).toMatchObject([
      { address: survivor.email?.toLowerCase() },
    ]);
  });

  it("refuses a forged link with 400 and stores nothing", async () => {
    const ada = await customer();
    const other = unsubscribeToken("not-the-secret-0123456789", { customerId: ada.id, channel: "email" });
    const response = await confirm(`/u/${other}`);
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain("<h1>This link doesn't work</h1>");
    expect(await stateOf(ada.id)).toEqual({ consent: {}, suppressions: [], audits: [] });
  });

  it("answers done for a customer who no longer exists, storing nothing", async () => {
    const ghost = randomUUID();
    const response = await confirm(linkFor(ghost));
    expect(response.statusCode).toBe(200);
    expect(await database.db.suppression.count({ where: { customerId: ghost } })).toBe(0);
  });
});
